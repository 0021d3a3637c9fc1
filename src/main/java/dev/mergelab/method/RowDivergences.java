package dev.mergelab.method;

/**
 * arcee_fusion's per-row factor KL(softmax θ_1 + 1e-8 ‖ softmax θ_b + 1e-8) (METHODS.md §2.17), kept
 * across the passes of one tensor. It depends only on the row, but costs two exponentials and a logarithm
 * per element, while the importance it scales is needed in up to three passes: so each row's value is
 * computed once, in the first pass that reads the row, and looked up afterwards.
 *
 * <p>Rows must be asked for in row order in that first pass (the engine's order), which is how the cache
 * fills. A tensor of more than {@value #MAX_CACHED_ROWS} rows (very short rows) is not cached and
 * recomputes each row in every pass, so the state stays at most 8 MiB whatever the shape.
 */
final class RowDivergences {

    static final int MAX_CACHED_ROWS = 1 << 20;

    private final int rowLength;
    private final double[] cache;
    private int filled;
    private final double[] p;
    private final double[] q;

    RowDivergences(int rowLength, long rows) {
        this.rowLength = rowLength;
        this.cache = rows <= MAX_CACHED_ROWS ? new double[(int) rows] : null;
        this.p = new double[rowLength];
        this.q = new double[rowLength];
    }

    /** The divergence of row {@code row}, whose elements are {@code base[off..)} and {@code other[off..)}. */
    double of(long row, float[] base, float[] other, int off) {
        if (row < filled) {
            return cache[(int) row];
        }
        double kl = divergence(base, other, off, rowLength, p, q);
        if (cache != null && row == filled) {
            cache[filled++] = kl;
        }
        return kl;
    }

    /**
     * Σ_k p_k·ln(p_k/q_k) with p = softmax(other row) + 1e-8 and q = softmax(base row) + 1e-8, in float64
     * because at |θ| ≈ 0.02 the softmaxes are nearly uniform and the divergence is about 1e-5.
     * {@code p} and {@code q} are scratch of at least {@code len} elements.
     */
    static double divergence(float[] base, float[] other, int off, int len, double[] p, double[] q) {
        softmax(other, off, len, p);
        softmax(base, off, len, q);
        double kl = 0;
        for (int k = 0; k < len; k++) {
            double pk = p[k] + 1e-8;
            double qk = q[k] + 1e-8;
            kl += pk * Math.log(pk / qk);
        }
        return kl;
    }

    private static void softmax(float[] x, int off, int len, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
            max = Math.max(max, x[off + k]);
        }
        double sum = 0;
        for (int k = 0; k < len; k++) {
            out[k] = Math.exp(x[off + k] - max);
            sum += out[k];
        }
        for (int k = 0; k < len; k++) {
            out[k] /= sum;
        }
    }
}
