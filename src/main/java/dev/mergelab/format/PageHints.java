package dev.mergelab.format;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code madvise(2)} hints on mmapped tensor bytes, through FFM. Two uses: ask the kernel to start
 * reading a tensor's pages before a worker touches them ({@code WILLNEED}, overlapping disk reads with
 * compute), and drop a finished tensor's pages from this process's resident set ({@code DONTNEED}; for a
 * read-only file mapping the pages stay in the page cache, only our RSS shrinks). Without this, reading
 * a 15 GB model through mmap would make RSS grow to 15 GB even though nothing is copied.
 *
 * <p>Hints are best effort: on platforms without {@code madvise} they do nothing.
 */
public final class PageHints {

    private static final int MADV_WILLNEED = 3;
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private PageHints() {
    }

    private static MethodHandle lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise")
                    .map(addr -> linker.downcallHandle(addr,
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access or no libc symbol: hints become no-ops
        }
    }

    /** Starts asynchronous read-ahead of {@code segment}'s pages. */
    public static void willNeed(MemorySegment segment) {
        advise(segment, MADV_WILLNEED);
    }

    /** Drops {@code segment}'s pages from the resident set (file-backed, read-only mappings only). */
    public static void dontNeed(MemorySegment segment) {
        advise(segment, MADV_DONTNEED);
    }

    private static void advise(MemorySegment segment, int advice) {
        if (MADVISE == null || segment.byteSize() == 0 || !segment.isNative()) {
            return;
        }
        long start = segment.address();
        long alignedStart = start & ~(PAGE - 1);
        long length = segment.byteSize() + (start - alignedStart);
        try {
            // Page-aligning may cover the edges of neighbouring tensors; for read-only file mappings that only
            // means they fault in again from the page cache.
            int rc = (int) MADVISE.invokeExact(MemorySegment.ofAddress(alignedStart), length, advice);
            if (rc != 0) {
                return; // a hint; failure changes nothing but speed or RSS
            }
        } catch (Throwable t) {
            // best effort
        }
    }
}
