package dev.mergelab.method.kernel;

/**
 * A random sparsifier's keep mask remembered from its statistics pass, one bit per position of the
 * tensor, so the combine pass re-applies it instead of drawing (and for della, ranking) again. Only
 * tensors of up to {@value #MAX_POSITIONS} positions are remembered (32 MiB per model); larger ones
 * recompute the mask, so memory stays bounded whatever the model. The bits are part of the merge's
 * state heap ({@link #bytes()}), which the engine reserves from its budget.
 */
public final class KeepBits {

    /** Largest tensor whose mask is kept: 2^28 positions = 32 MiB of bits. */
    public static final long MAX_POSITIONS = 1L << 28;

    private final long[] words;

    private KeepBits(long n) {
        this.words = new long[Math.toIntExact((n + 63) >>> 6)];
    }

    /** A mask for a tensor of n positions, or null when n is above {@link #MAX_POSITIONS}. */
    public static KeepBits forPositions(long n) {
        return n <= MAX_POSITIONS ? new KeepBits(n) : null;
    }

    /** Heap the mask holds for a tensor of n positions (0 when it would not be kept). */
    public static long bytesFor(long n) {
        return n <= MAX_POSITIONS ? ((n + 63) >>> 6) * Long.BYTES : 0;
    }

    /** Heap held by this mask. */
    public long bytes() {
        return (long) words.length * Long.BYTES;
    }

    /** Records positions [start, start + n) from {@code keep[0..n)}, −1 (all bits) for kept and 0 for dropped. */
    public void record(long start, int[] keep, int n) {
        MethodKernels.packKeep(keep, n, words, start);
    }

    /** In place: zeroes {@code x[0..n)}, positions [start, start + n), where the recorded mask dropped. */
    public void apply(long start, float[] x, int n) {
        MethodKernels.keepBits(x, n, words, start);
    }
}
