package dev.mergelab.data;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.HubCache;
import dev.mergelab.model.SafePaths;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds a dataset's files in the local Hugging Face hub cache, the way {@link HubCache} finds models and never
 * over the network.
 *
 * <p>The cache root is the models' one ({@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else
 * {@code XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}). A dataset {@code owner/name}
 * lives in {@code datasets--owner--name/}: {@code refs/<ref>} holds a commit hash, {@code snapshots/<hash>/} the
 * files (links into {@code blobs/}). Within a snapshot, the files of a config and split are, in the order tried:
 * <ol>
 *   <li>{@code <config>/<split>-*.<ext>} or {@code <config>/<split>.<ext>}: the layout of datasets stored as
 *       Parquet on the hub ({@code ARC-Easy/test-00000-of-00001.parquet}, {@code anatomy/test-...});</li>
 *   <li>{@code <config>/<split>/*.<ext>}: the hub's Parquet conversion ({@code refs/convert/parquet}, written
 *       {@code <config>/<split>/0000.parquet});</li>
 *   <li>for a dataset without configs ({@code default}): {@code data/<split>-*.<ext>} and {@code <split>-*.<ext>}
 *       at the top.</li>
 * </ol>
 * where {@code <ext>} is {@code parquet}, {@code jsonl}, {@code json} or {@code csv}. The revision is {@code main}
 * unless given (a ref name or a full commit hash); when it holds no files for the split, the Parquet conversion
 * ({@code refs/convert/parquet}) is tried. The {@code datasets} library's own cache ({@code ~/.cache/huggingface/
 * datasets}, Arrow files it writes after a download) is not read: it is an internal format of that library.
 */
public final class HubDatasets {

    private static final Pattern HASH = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
    private static final List<String> EXTENSIONS = List.of(".parquet", ".jsonl", ".json", ".csv");
    /** The branch the hub writes its Parquet conversion of every dataset to. */
    static final String PARQUET_CONVERSION = "convert/parquet";

    private final Path root;

    public HubDatasets(Path root) {
        this.root = root;
    }

    /** The cache this process's environment points to. */
    public static HubDatasets fromEnvironment() {
        return new HubDatasets(HubCache.locate(System.getenv(), System.getProperty("user.home")));
    }

    public Path root() {
        return root;
    }

    /**
     * The files of a dataset's config and split, sorted by name (shards in order), or empty when the cache does
     * not hold them.
     *
     * @param config the config name ({@code ARC-Easy}, {@code anatomy}); null or {@code default} for none
     * @param revision a ref name or commit hash; null for {@code main}
     * @throws MergeLabException when the cache holds something broken, or a name would leave the cache
     */
    public Optional<List<Path>> find(String repoId, String config, String split, String revision) {
        checkName("dataset", repoId, true);
        if (config != null) {
            checkName("config", config, false);
        }
        checkName("split", split, false);
        Path repo = SafePaths.resolveInside(root, "datasets--" + repoId.replace("/", "--"));
        if (!Files.isDirectory(repo)) {
            return Optional.empty();
        }
        List<String> revisions = revision == null ? List.of("main", PARQUET_CONVERSION) : List.of(revision);
        for (String rev : revisions) {
            Optional<Path> snapshot = snapshot(repo, rev);
            if (snapshot.isPresent()) {
                List<Path> files = filesIn(snapshot.get(), config, split);
                if (!files.isEmpty()) {
                    return Optional.of(files);
                }
            }
        }
        return Optional.empty();
    }

    /** Like {@link #find} but a missing dataset is a one-line error saying what to download and where. */
    public List<Path> files(String repoId, String config, String split, String revision) {
        return find(repoId, config, split, revision).orElseThrow(() -> MergeLabException.input(
                "dataset " + repoId + (config == null ? "" : " (config " + config + ")") + ", split " + split
                        + ", is not in the Hugging Face cache at " + root,
                downloadHint(repoId, config, split)));
    }

    /** The command that puts a split into the cache; MergeLab never downloads. */
    public static String downloadHint(String repoId, String config, String split) {
        String pattern = (config == null || config.equals("default") ? "" : config + "/") + split + "*";
        return "download it with: huggingface-cli download " + repoId + " --repo-type dataset --include '" + pattern
                + "' (HF_HUB_CACHE or HF_HOME choose the cache), or pass the split's file with --data TASK=FILE";
    }

    private static Optional<Path> snapshot(Path repo, String rev) {
        Path snapshots = repo.resolve("snapshots");
        Path ref = SafePaths.resolveInside(repo, "refs/" + rev);
        if (Files.isRegularFile(ref)) {
            String hash = readRef(ref);
            Path snap = snapshots.resolve(hash);
            if (!Files.isDirectory(snap)) {
                throw MergeLabException.input("the Hugging Face cache says " + repo.getFileName() + "@" + rev
                        + " is commit " + hash + ", but " + snap + " is missing", "download the dataset again");
            }
            return Optional.of(snap);
        }
        if (HASH.matcher(rev).matches() && Files.isDirectory(snapshots.resolve(rev))) {
            return Optional.of(snapshots.resolve(rev));
        }
        return Optional.empty();
    }

    private static List<Path> filesIn(Path snapshot, String config, String split) {
        boolean noConfig = config == null || config.equals("default");
        List<Path> found = new ArrayList<>();
        if (config != null) {
            found = shards(snapshot, config, split);
            if (found.isEmpty()) {
                found = allData(snapshot, config + "/" + split);
            }
        }
        if (found.isEmpty() && noConfig) {
            found = shards(snapshot, "data", split);
            if (found.isEmpty()) {
                found = shards(snapshot, null, split);
            }
        }
        return found;
    }

    /** {@code folder/<split>-*.<ext>} and {@code folder/<split>.<ext>}; the folder may be null (the snapshot). */
    private static List<Path> shards(Path snapshot, String folder, String split) {
        return list(snapshot, folder, name -> {
            for (String ext : EXTENSIONS) {
                if (name.endsWith(ext)) {
                    String stem = name.substring(0, name.length() - ext.length());
                    return stem.equals(split) || stem.startsWith(split + "-");
                }
            }
            return false;
        });
    }

    private static List<Path> allData(Path snapshot, String folder) {
        return list(snapshot, folder, name -> EXTENSIONS.stream().anyMatch(name::endsWith));
    }

    private static List<Path> list(Path snapshot, String folder, java.util.function.Predicate<String> wanted) {
        Path dir = folder == null ? snapshot : SafePaths.resolveInside(snapshot, folder);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (wanted.test(name)) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw MergeLabException.input("cannot list " + dir + ": " + e.getMessage(), null);
        }
        names.sort(null);
        List<Path> out = new ArrayList<>();
        for (String name : names) {
            // Cache files are links into the repository's blobs/: SafePaths allows exactly that and nothing else.
            Path file = SafePaths.resolveInside(snapshot, folder == null ? name : folder + "/" + name);
            if (Files.isRegularFile(file)) {
                out.add(file);
            }
        }
        return out;
    }

    private static String readRef(Path ref) {
        String hash;
        try {
            if (Files.size(ref) > 256) {
                throw MergeLabException.input("cache ref " + ref + " is not a commit hash (too large)", null);
            }
            hash = new String(Files.readAllBytes(ref), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw MergeLabException.input("cannot read cache ref " + ref + ": " + e.getMessage(), null);
        }
        if (!HASH.matcher(hash).matches()) {
            throw MergeLabException.input("cache ref " + ref + " does not hold a commit hash",
                    "delete it and download the dataset again");
        }
        return hash;
    }

    /** Names go into paths: plain names only (a dataset id may have one {@code /}). */
    private static void checkName(String what, String name, boolean repoId) {
        boolean ok = name != null && !name.isEmpty() && name.length() <= 200
                && name.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_.".indexOf(c) >= 0
                || (repoId && c == '/'))
                && !name.startsWith(".") && !name.contains("..") && !name.startsWith("/") && !name.endsWith("/")
                && (!repoId || name.chars().filter(c -> c == '/').count() <= 1);
        if (!ok) {
            throw MergeLabException.input("not a valid Hugging Face " + what + " name: '"
                    + (name == null ? "null" : name.replaceAll("\\p{Cntrl}", "?")) + "'", null);
        }
    }
}
