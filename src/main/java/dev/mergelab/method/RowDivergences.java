package dev.mergelab.method;

import dev.mergelab.method.kernel.MethodKernels;

/**
 * arcee_fusion's per-row factor KL(softmax θ_1 + 1e-8 ‖ softmax θ_b + 1e-8) (METHODS.md §2.17), kept
 * across the passes of one tensor. It depends only on the row, but costs two exponentials and a logarithm
 * per element ({@link MethodKernels#softmaxKl}), while the importance it scales is needed in up to three
 * passes: so each row's value is computed once, in the first pass that reads the row, and looked up
 * afterwards.
 *
 * <p>Chunks must be asked for in row order in that first pass (the engine's order), which is how the cache
 * fills. A tensor of more than {@value #MAX_CACHED_ROWS} rows (very short rows) is not cached and
 * recomputes each row in every pass, so the state stays at most 8 MiB whatever the shape.
 */
final class RowDivergences {

    static final int MAX_CACHED_ROWS = 1 << 20;

    private final int rowLength;
    private final double[] cache;
    private int filled;
    private final double[] scratch;

    RowDivergences(int rowLength, long rows) {
        this.rowLength = rowLength;
        this.cache = rows <= MAX_CACHED_ROWS ? new double[(int) rows] : null;
        this.scratch = new double[2 * rowLength];
    }

    /**
     * {@code out[r]} = the divergence of row {@code rowStart + r} for r < rows, whose elements are
     * {@code base} and {@code other} from {@code r·rowLength} (a chunk as the engine passes it).
     */
    void of(long rowStart, int rows, float[] base, float[] other, double[] out) {
        if (rowStart + rows <= filled) {
            System.arraycopy(cache, (int) rowStart, out, 0, rows);
            return;
        }
        for (int r = 0; r < rows; r++) {
            out[r] = divergence(base, other, r * rowLength, rowLength, scratch);
        }
        if (cache != null && rowStart == filled) {
            System.arraycopy(out, 0, cache, filled, rows);
            filled += rows;
        }
    }

    /** Heap held between passes. */
    long bytes() {
        return (cache == null ? 0 : 8L * cache.length) + 8L * scratch.length;
    }

    /**
     * KL(p ‖ q) with p = softmax(other row) + 1e-8 and q = softmax(base row) + 1e-8, in float64 because at
     * |θ| ≈ 0.02 the softmaxes are nearly uniform and the divergence is about 1e-5. {@code scratch} holds
     * at least {@code 2·len} doubles.
     */
    static double divergence(float[] base, float[] other, int off, int len, double[] scratch) {
        return MethodKernels.softmaxKl(other, base, off, len, 1e-8, scratch);
    }
}
