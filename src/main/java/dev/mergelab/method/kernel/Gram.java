package dev.mergelab.method.kernel;

/**
 * Gram matrices ⟨v_i, v_k⟩ accumulated chunk by chunk in plain double. Karcher and multislerp iterate in
 * the span of their inputs using only this matrix, and quantities like ‖T‖² = τᵀGτ of a tangent that
 * nearly cancels need G to far better than float32 relative accuracy, so products (exact in double) are
 * summed in double rather than through the float-lane kernels; four accumulators keep the adds
 * independent.
 */
public final class Gram {

    private Gram() {
    }

    /** Adds ⟨v_i, v_k⟩ over {@code [0, n)} to g[i][k] for i ≤ k (the upper triangle). */
    public static void accumulate(float[][] v, int n, double[][] g) {
        for (int i = 0; i < v.length; i++) {
            for (int k = i; k < v.length; k++) {
                g[i][k] += dot(v[i], v[k], n);
            }
        }
    }

    /** Σ x[j]·y[j] over [0, n) in double. */
    public static double dot(float[] x, float[] y, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += (double) x[j] * y[j];
            s1 += (double) x[j + 1] * y[j + 1];
            s2 += (double) x[j + 2] * y[j + 2];
            s3 += (double) x[j + 3] * y[j + 3];
        }
        for (; j < n; j++) {
            s0 += (double) x[j] * y[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The full symmetric matrix from its upper triangle, in place. */
    public static void symmetrize(double[][] g) {
        for (int i = 0; i < g.length; i++) {
            for (int k = 0; k < i; k++) {
                g[i][k] = g[k][i];
            }
        }
    }

    /** xᵀ G y. */
    public static double form(double[][] g, double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < g.length; i++) {
            double row = 0;
            for (int k = 0; k < g.length; k++) {
                row += g[i][k] * y[k];
            }
            s += x[i] * row;
        }
        return s;
    }

    /** ‖Σ c_i v_i‖ from the Gram matrix (rounding can make the form slightly negative: 0 then). */
    public static double norm(double[][] g, double[] c) {
        return Math.sqrt(Math.max(0, form(g, c, c)));
    }

    /** (G c)_i = ⟨v_i, Σ c_k v_k⟩. */
    public static double[] times(double[][] g, double[] c) {
        double[] out = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            for (int k = 0; k < g.length; k++) {
                out[i] += g[i][k] * c[k];
            }
        }
        return out;
    }
}
