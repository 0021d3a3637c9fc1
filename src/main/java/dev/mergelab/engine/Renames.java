package dev.mergelab.engine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;

/**
 * Linux {@code renameat2(2)} through the FFM API, for the two renames {@link OutputFolder} needs to be atomic
 * that {@link java.nio.file.Files#move} cannot do: exchanging a finished folder with an existing OUT_DIR in one
 * step ({@code RENAME_EXCHANGE}: at every instant OUT_DIR is the old or the new complete folder, even under
 * SIGKILL), and renaming without replacing ({@code RENAME_NOREPLACE}: {@code rename(2)} silently replaces an
 * empty directory, so a check-then-move can lose a race with another merge). Where renameat2 is unavailable
 * (not Linux, no native access, a file system without the flags) the methods return false and the caller
 * falls back to plain renames.
 */
final class Renames {

    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;
    private static final int AT_FDCWD = -100;
    private static final int EEXIST = 17;
    private static final int ENOTEMPTY = 39;
    private static final int EINVAL = 22;
    private static final int ENOSYS = 38;

    private static final MethodHandle RENAMEAT2;
    private static final StructLayout CAPTURE;
    private static final VarHandle ERRNO;

    static {
        MethodHandle h = null;
        StructLayout capture = null;
        VarHandle errno = null;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux")) {
                Linker linker = Linker.nativeLinker();
                capture = Linker.Option.captureStateLayout();
                errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                MemorySegment fn = linker.defaultLookup().find("renameat2").orElse(null);
                if (fn != null) {
                    h = linker.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.captureCallState("errno"));
                }
            }
        } catch (RuntimeException | LinkageError e) {
            h = null; // no native access (IllegalCallerException) or no such symbol: plain renames
        }
        RENAMEAT2 = h;
        CAPTURE = capture;
        ERRNO = errno;
    }

    private Renames() {
    }

    /**
     * renameat2(from, to, flags). Returns true when done, false when renameat2 or the flag is not supported
     * here (nothing was renamed). Throws {@link FileAlreadyExistsException} when NOREPLACE finds {@code to},
     * and IOException for other failures.
     */
    static boolean rename(Path from, Path to, int flags) throws IOException {
        if (RENAMEAT2 == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int rc = (int) RENAMEAT2.invokeExact(state, AT_FDCWD, arena.allocateFrom(from.toString()), AT_FDCWD,
                    arena.allocateFrom(to.toString()), flags);
            if (rc == 0) {
                return true;
            }
            int errno = (int) ERRNO.get(state, 0L);
            if (errno == EINVAL || errno == ENOSYS) {
                return false;
            }
            if (errno == EEXIST || errno == ENOTEMPTY) {
                throw new FileAlreadyExistsException(to.toString());
            }
            throw new IOException("renameat2 " + from + " -> " + to + " failed: errno " + errno);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
