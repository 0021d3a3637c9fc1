package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The output folder's life cycle: everything is written into a hidden temporary folder beside OUT_DIR
 * and renamed into place only when complete, so a failed, interrupted or killed merge never leaves a
 * folder that looks finished. Temporary folders of dead processes (a SIGKILL) are removed by the next
 * run into the same parent; a clean failure or Ctrl-C removes its own.
 *
 * <p>Publishing and the Ctrl-C hook exclude each other through {@link #lock}: a SIGINT that arrives while the
 * folder is being renamed waits for the rename, so it can neither delete files out of a folder that then
 * becomes OUT_DIR nor leave OUT_DIR missing between the two renames of a --force replace. On Linux the replace
 * is one {@code renameat2(RENAME_EXCHANGE)} ({@link Renames}), so even SIGKILL finds OUT_DIR old or new, never
 * absent; elsewhere it is two renames, and a later run puts back an old folder a killed run had moved aside.
 */
public final class OutputFolder implements AutoCloseable {

    private static final String TMP_TAG = ".mergelab-tmp-";
    private static final String OLD_TAG = ".mergelab-old-";

    private final Path outDir;
    private final Path target;
    private final Path temp;
    private final boolean force;
    private final Thread cleanupHook;
    /** Guards {@link #published} and {@link #cancelled}: publish and the shutdown hook never interleave. */
    private final Object lock = new Object();
    private boolean published;
    private boolean cancelled;

    private OutputFolder(Path outDir, Path target, Path temp, boolean force) {
        this.outDir = outDir;
        this.target = target;
        this.temp = temp;
        this.force = force;
        this.cleanupHook = new Thread(this::cancel, "mergelab-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
    }

    /** Shutdown hook (Ctrl-C, SIGTERM): unless already published, refuse to publish and remove the temp folder. */
    private void cancel() {
        synchronized (lock) {
            if (published) {
                return;
            }
            cancelled = true;
        }
        // Worker threads may still be writing: a file created after one pass is removed by the next. Once the
        // folder itself is gone nothing can recreate it (every write creates files inside it).
        for (int pass = 0; pass < 50 && Files.exists(temp, LinkOption.NOFOLLOW_LINKS); pass++) {
            deleteQuietly(temp);
        }
    }

    /**
     * Checks OUT_DIR can be written and creates the temporary folder beside it. Whatever {@code force} says, OUT_DIR
     * must not be, contain or lie inside any of {@code inputs} (the models, files and adapters the command reads),
     * and {@code force} replaces only a folder MergeLab wrote ({@link OutputGuard}).
     */
    public static OutputFolder prepare(Path outDir, boolean force, Collection<Path> inputs) {
        check(outDir, force, inputs);
        Path target = outDir.toAbsolutePath().normalize();
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
        return new OutputFolder(outDir, target, temp, force);
    }

    /**
     * The checks of {@link #prepare} without creating anything, for commands that compute for a long time before
     * they write (lora extract, lora merge): a refusal comes first, not after the work.
     */
    public static void check(Path outDir, boolean force, Collection<Path> inputs) {
        Path target = outDir.toAbsolutePath().normalize();
        OutputGuard.checkNotAnInput(outDir, inputs);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!force) {
                throw MergeLabException.input(outDir + " already exists", "choose another OUT_DIR or pass --force to replace it");
            }
            OutputGuard.checkReplaceable(outDir, target);
        }
    }

    /** Below this many usable bytes, a failed write is taken to be a full disk. */
    static final long NEARLY_FULL_BYTES = 8L << 20;

    /**
     * The one-line error for a failed write into OUT_DIR. Whether the disk is full is read from the file system
     * (its usable space, measured while the partial output still occupies it), not from the error's text, which
     * the C library words in the user's language. Call it before the temporary folder is removed.
     */
    public static MergeLabException writeFailed(Path outDir, IOException e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return MergeLabException.input("writing " + outDir + " failed: " + msg,
                outOfSpace(outDir) ? "the disk is full: free disk space and rerun; nothing was left at the output path"
                        : "nothing was left at the output path");
    }

    /** True when the file system OUT_DIR is written to has (almost) no usable space left. */
    static boolean outOfSpace(Path outDir) {
        Path p = outDir.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        try {
            return p != null && Files.getFileStore(p).getUsableSpace() < NEARLY_FULL_BYTES;
        } catch (IOException | RuntimeException x) {
            return false;
        }
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
        synchronized (lock) {
            if (cancelled) {
                throw MergeLabException.input("merge into " + target + " was interrupted", "nothing was written; rerun the merge");
            }
            publishLocked();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException ignored) {
            // JVM already shutting down
        }
    }

    private void publishLocked() {
        Path old = null;
        try {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                if (!force) {
                    throw MergeLabException.input(target + " appeared while merging (another merge into the same folder?)",
                            "nothing was overwritten; choose another OUT_DIR or retry with --force");
                }
                // It may have appeared, or changed, while merging: the replace rule holds for what is there now.
                OutputGuard.checkReplaceable(outDir, target);
                if (Renames.rename(temp, target, Renames.RENAME_EXCHANGE)) {
                    // One atomic step: OUT_DIR is now the new folder and the old one sits at the temp name.
                    published = true;
                    deleteQuietly(temp);
                    return;
                }
                old = target.resolveSibling("." + target.getFileName() + OLD_TAG + ProcessHandle.current().pid());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            // rename(2) would silently replace an empty folder another process just created; NOREPLACE cannot.
            if (!Renames.rename(temp, target, Renames.RENAME_NOREPLACE)) {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            published = true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            if (old != null) {
                restore(old, target);
                old = null;
            }
            throw MergeLabException.input(target + " was created by another process while merging",
                    "nothing was overwritten; choose another OUT_DIR or retry");
        } catch (AtomicMoveNotSupportedException e) {
            throw MergeLabException.input("cannot rename the finished output into " + target + " atomically",
                    "put OUT_DIR on the same file system as its parent folder");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (old != null) {
                if (published) {
                    deleteQuietly(old);
                } else {
                    restore(old, target); // the new folder could not be moved in: put the old one back
                }
            }
        }
    }

    /** Moves a folder set aside by a replace back to OUT_DIR, if OUT_DIR is free. */
    private static void restore(Path old, Path target) {
        try {
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException ignored) {
            // left as .NAME.mergelab-old-PID: the next run restores it (see removeStaleTemps)
        }
    }

    /** Removes the temporary folder unless it was published. */
    @Override
    public void close() {
        boolean done;
        synchronized (lock) {
            done = published;
        }
        if (!done) {
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
                if (f.startsWith(oldPrefix) && !Files.exists(parent.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    // A run killed between the two renames of a non-atomic --force replace: the old folder is
                    // the only complete one, so it goes back to OUT_DIR instead of being deleted.
                    restore(p, parent.resolve(name));
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
