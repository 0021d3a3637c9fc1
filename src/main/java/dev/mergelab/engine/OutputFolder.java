package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The output folder's life cycle: everything is written into a hidden temporary folder beside OUT_DIR
 * and renamed into place only when complete, so a failed, interrupted or killed merge never leaves a
 * folder that looks finished. Temporary folders of dead processes (a SIGKILL) are removed by the next
 * run into the same parent; a clean failure or Ctrl-C removes its own.
 */
public final class OutputFolder implements AutoCloseable {

    private static final String TMP_TAG = ".mergelab-tmp-";
    private static final String OLD_TAG = ".mergelab-old-";

    private final Path target;
    private final Path temp;
    private final boolean force;
    private final Thread cleanupHook;
    private boolean published;

    private OutputFolder(Path target, Path temp, boolean force) {
        this.target = target;
        this.temp = temp;
        this.force = force;
        this.cleanupHook = new Thread(() -> deleteQuietly(temp), "mergelab-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
    }

    /** Checks OUT_DIR can be written and creates the temporary folder beside it. */
    public static OutputFolder prepare(Path outDir, boolean force) {
        Path target = outDir.toAbsolutePath().normalize();
        if (Files.exists(target) && !force) {
            throw MergeLabException.input(outDir + " already exists", "choose another OUT_DIR or pass --force to replace it");
        }
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw MergeLabException.input(outDir + " exists and is not a folder", "choose another OUT_DIR");
        }
        Path parent = target.getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw MergeLabException.input("cannot create " + parent + ": " + e.getMessage(), "check permissions and free space");
        }
        removeStaleTemps(parent, target.getFileName().toString());
        Path temp = parent.resolve("." + target.getFileName() + TMP_TAG + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectory(temp);
        } catch (IOException e) {
            throw MergeLabException.input("cannot write into " + parent + ": " + e.getMessage(), "check permissions and free space");
        }
        return new OutputFolder(target, temp, force);
    }

    /** The folder to write into. */
    public Path temp() {
        return temp;
    }

    public Path target() {
        return target;
    }

    /** Moves the finished temporary folder to OUT_DIR (replacing an old one only with --force). */
    public void publish() {
        Path old = null;
        try {
            if (Files.exists(target)) {
                if (!force) {
                    throw MergeLabException.input(target + " appeared while merging (another merge into the same folder?)",
                            "nothing was overwritten; choose another OUT_DIR or retry with --force");
                }
                old = target.resolveSibling("." + target.getFileName() + OLD_TAG + ProcessHandle.current().pid());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            published = true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            throw MergeLabException.input(target + " was created by another process while merging",
                    "nothing was overwritten; choose another OUT_DIR or retry");
        } catch (AtomicMoveNotSupportedException e) {
            throw MergeLabException.input("cannot rename the finished output into " + target + " atomically",
                    "put OUT_DIR on the same file system as its parent folder");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (old != null) {
                deleteQuietly(old);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException ignored) {
            // JVM already shutting down
        }
    }

    /** Removes the temporary folder unless it was published. */
    @Override
    public void close() {
        if (!published) {
            deleteQuietly(temp);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupHook);
            } catch (IllegalStateException ignored) {
                // JVM already shutting down: the hook runs anyway
            }
        }
    }

    /** Deletes temp/old folders for {@code name} left by processes that no longer run. */
    static void removeStaleTemps(Path parent, String name) {
        String tmpPrefix = "." + name + TMP_TAG;
        String oldPrefix = "." + name + OLD_TAG;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, "." + globEscape(name) + ".mergelab-*")) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                String rest = f.startsWith(tmpPrefix) ? f.substring(tmpPrefix.length())
                        : f.startsWith(oldPrefix) ? f.substring(oldPrefix.length()) : null;
                if (rest == null) {
                    continue;
                }
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                        continue; // another merge is running right now
                    }
                } catch (NumberFormatException e) {
                    continue;
                }
                deleteQuietly(p);
            }
        } catch (IOException e) {
            // Best effort: a folder we cannot list is reported when we try to write into it.
        }
    }

    private static String globEscape(String s) {
        return s.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
