package dev.mergelab.model;

import dev.mergelab.MergeLabException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds models in the local Hugging Face cache, never over the network.
 *
 * <p>The cache root is {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else
 * {@code XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub} (the order
 * huggingface_hub uses). A model {@code org/name} lives in {@code models--org--name/}: {@code refs/<ref>}
 * holds the commit hash a branch or tag points to, {@code snapshots/<hash>/} holds the files (as links
 * into {@code blobs/}). A revision is a ref name ({@code main} by default, or e.g. {@code refs/pr/3}'s
 * {@code pr/3}) or a commit hash, full or a unique prefix of at least {@value #MIN_PREFIX} characters.
 */
public final class HubCache {

    static final int MIN_PREFIX = 4;
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{" + MIN_PREFIX + ",64}");

    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    /** The cache this process's environment points to. */
    public static HubCache fromEnvironment() {
        return new HubCache(locate(System.getenv(), System.getProperty("user.home")));
    }

    /** The cache root for an environment (exposed for tests and for error messages). */
    public static Path locate(Map<String, String> env, String userHome) {
        String hubCache = nonEmpty(env.get("HF_HUB_CACHE"));
        if (hubCache == null) {
            hubCache = nonEmpty(env.get("HUGGINGFACE_HUB_CACHE")); // the older name, still honoured
        }
        if (hubCache != null) {
            return expandHome(hubCache, userHome);
        }
        String home = nonEmpty(env.get("HF_HOME"));
        if (home != null) {
            return expandHome(home, userHome).resolve("hub");
        }
        String xdg = nonEmpty(env.get("XDG_CACHE_HOME"));
        if (xdg != null) {
            return expandHome(xdg, userHome).resolve("huggingface").resolve("hub");
        }
        return Path.of(userHome, ".cache", "huggingface", "hub");
    }

    public Path root() {
        return root;
    }

    /** The repository folder a model id maps to (which may not exist). */
    public Path repoFolder(String repoId) {
        return SafePaths.resolveInside(root, "models--" + repoId.replace("/", "--"));
    }

    /**
     * The snapshot folder for a model and revision (null revision: {@code main}), or empty when the
     * cache does not hold it.
     *
     * @throws MergeLabException when the cache holds something broken or ambiguous
     */
    public Optional<Path> find(String repoId, String revision) {
        String rev = revision == null ? "main" : revision;
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        Path repo = repoFolder(repoId);
        if (!Files.isDirectory(repo)) {
            return Optional.empty();
        }
        Path snapshots = repo.resolve("snapshots");
        Path ref = SafePaths.resolveInside(repo, "refs/" + rev);
        if (Files.isRegularFile(ref)) {
            String hash = readRef(ref);
            Path snap = snapshots.resolve(hash);
            if (!Files.isDirectory(snap)) {
                throw MergeLabException.input("the Hugging Face cache says " + repoId + "@" + rev + " is commit "
                        + hash + ", but " + snap + " is missing", downloadHint(repoId, rev));
            }
            return Optional.of(snap);
        }
        if (!HEX.matcher(rev).matches() || !Files.isDirectory(snapshots)) {
            return Optional.empty();
        }
        List<Path> matches = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(snapshots)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (HASH.matcher(name).matches() && name.startsWith(rev) && Files.isDirectory(p)) {
                    matches.add(p);
                }
            }
        } catch (IOException e) {
            throw MergeLabException.input("cannot list " + snapshots + ": " + e.getMessage(), null);
        }
        if (matches.size() > 1) {
            throw MergeLabException.input("revision " + rev + " of " + repoId + " matches " + matches.size()
                    + " cached commits", "give more characters of the commit hash");
        }
        return matches.stream().findFirst();
    }

    /** Like {@link #find} but fails with a message saying how to download the model. */
    public Path resolve(String repoId, String revision) {
        String rev = revision == null ? "main" : revision;
        return find(repoId, revision).orElseThrow(() -> MergeLabException.input(
                "model " + repoId + " (revision " + rev + ") is not a local path and is not in the Hugging Face cache at "
                        + root, downloadHint(repoId, rev)));
    }

    /** The command that fills the cache for this model; we never download ourselves. */
    public static String downloadHint(String repoId, String revision) {
        return "download it with: huggingface-cli download " + repoId + " --revision " + revision
                + " (MergeLab works offline)";
    }

    private static String readRef(Path ref) {
        String hash = new String(SafeJson.readCapped(ref, 256, "cache ref"), StandardCharsets.US_ASCII).strip();
        if (!HASH.matcher(hash).matches()) {
            throw MergeLabException.input("cache ref " + ref + " does not hold a commit hash",
                    "delete it and download the model again");
        }
        return hash;
    }

    private static String nonEmpty(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Path expandHome(String p, String userHome) {
        if (p.equals("~")) {
            return Path.of(userHome);
        }
        return p.startsWith("~/") ? Path.of(userHome, p.substring(2)) : Path.of(p);
    }
}
