package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.WeightFile;
import dev.mergelab.model.ModelSource;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an output may replace. Every command that writes a folder goes through {@link OutputFolder#prepare},
 * which asks this class two things, whatever {@code --force} says:
 * <ul>
 *   <li>OUT_DIR must neither be, contain, nor lie inside any input (model folder, weight file, adapter), compared
 *       by real path, so symbolic links and the Hugging Face cache (snapshot links into {@code blobs/}) cannot hide
 *       an overlap;</li>
 *   <li>an existing OUT_DIR may be replaced (with {@code --force}) only when MergeLab wrote it: a real folder, not a
 *       link, holding {@value ModelFolderCheck#MANIFEST} and nothing the manifest does not list (a notes file a user
 *       added, a subfolder), so a replace never deletes anything MergeLab did not write.</li>
 * </ul>
 */
public final class OutputGuard {

    private OutputGuard() {
    }

    /**
     * The paths a set of opened models reads: each model folder (or single weight file), every weight file, and
     * the folder of a weight file from elsewhere (the adapter of a {@code BASE+ADAPTER} parent). The folder that
     * merely holds a single-file model is not an input: writing beside the file is fine.
     */
    public static List<Path> pathsOf(Collection<ModelSource> models) {
        List<Path> out = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (ModelSource m : models) {
            out.add(m.root());
            Path folder = m.folder().toAbsolutePath().normalize();
            for (WeightFile f : m.files()) {
                files.add(f.path());
                Path parent = f.path().toAbsolutePath().normalize().getParent();
                // a GGUF model's config lives in a temporary companion folder: the folder holding the file given
                // as the model is no more an input than a single safetensors file's
                boolean givenFile = f.path().toAbsolutePath().normalize().equals(m.root().toAbsolutePath().normalize());
                if (parent != null && !parent.equals(folder) && !givenFile) {
                    out.add(parent);
                }
            }
        }
        out.addAll(files); // folders first, so a message names the model rather than one of its files
        return out;
    }

    /**
     * Refuses an OUT_DIR (or an output file, as {@code merge RECIPE OUT.gguf} writes) that is, contains or lies inside
     * an input. {@code outDir} as the user gave it.
     */
    public static void checkNotAnInput(Path outDir, Collection<Path> inputs) {
        Path out = realPathOf(outDir.toAbsolutePath().normalize());
        for (Path input : inputs) {
            for (Path in : realPathsOf(input)) {
                String relation = out.equals(in) ? "is the input " : in.startsWith(out) ? "contains the input "
                        : out.startsWith(in) ? "lies inside the input " : null;
                if (relation != null) {
                    boolean linked = !in.equals(input.toAbsolutePath().normalize());
                    throw MergeLabException.input(outDir + " " + relation + input + (linked ? " (" + in + ")" : ""),
                            "choose an OUT_DIR outside every input model and adapter");
                }
            }
        }
    }

    /**
     * Refuses to replace an existing {@code target} that MergeLab did not write. Called with {@code --force} only,
     * before the merge and again just before the replace.
     */
    static void checkReplaceable(Path outDir, Path target) {
        if (Files.isSymbolicLink(target)) {
            throw MergeLabException.input(outDir + " is a symbolic link; --force replaces only a folder MergeLab wrote",
                    "choose another OUT_DIR");
        }
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw MergeLabException.input(outDir + " exists and is not a folder", "choose another OUT_DIR");
        }
        Optional<Set<String>> listed = ModelFolderCheck.manifestEntries(target);
        if (listed.isEmpty()) {
            throw MergeLabException.input(outDir + " was not written by MergeLab (no readable " + ModelFolderCheck.MANIFEST
                    + "); --force replaces only MergeLab's own output", "choose another OUT_DIR, or move the folder away yourself");
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(target)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                boolean ours = name.equals(ModelFolderCheck.MANIFEST)
                        || (listed.get().contains(name) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
                if (!ours) {
                    throw MergeLabException.input(outDir + " holds " + name + ", which MergeLab did not write; --force would delete it",
                            "move it out of " + outDir + " first, or choose another OUT_DIR");
                }
            }
        } catch (IOException e) {
            throw MergeLabException.input("cannot list " + outDir + ": " + e.getMessage(), "check permissions");
        }
    }

    /** The real path of a path that may not exist yet: its nearest existing ancestor resolved, the rest appended. */
    static Path realPathOf(Path absolute) {
        Path existing = absolute;
        List<Path> rest = new ArrayList<>();
        while (existing != null) {
            try {
                Path real = existing.toRealPath();
                for (int i = rest.size() - 1; i >= 0; i--) {
                    real = real.resolve(rest.get(i));
                }
                return real;
            } catch (IOException e) {
                if (existing.getFileName() == null) {
                    break;
                }
                rest.add(existing.getFileName());
                existing = existing.getParent();
            }
        }
        return absolute;
    }

    /** An input's real path and, for a folder, the real path of each file in it (hub snapshots link into blobs/). */
    private static Set<Path> realPathsOf(Path input) {
        Set<Path> out = new LinkedHashSet<>();
        Path abs = input.toAbsolutePath().normalize();
        out.add(realPathOf(abs));
        if (Files.isDirectory(abs)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs)) {
                for (Path p : ds) {
                    try {
                        if (Files.isRegularFile(p)) {
                            out.add(p.toRealPath());
                        }
                    } catch (IOException e) {
                        // a dangling link reads nothing
                    }
                }
            } catch (IOException e) {
                // an unreadable folder: its own real path was checked above
            }
        }
        return out;
    }
}
