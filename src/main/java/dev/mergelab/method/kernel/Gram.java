package dev.mergelab.method.kernel;

import dev.mergelab.tensor.Vectorization;

/**
 * Gram matrices ⟨v_i, v_k⟩ accumulated chunk by chunk in plain double. Karcher and multislerp iterate in
 * the span of their inputs using only this matrix, and quantities like ‖T‖² = τᵀGτ of a tangent that
 * nearly cancels need G to far better than float32 relative accuracy, so products (exact in double) are
 * summed in double rather than through the float-lane kernels; sixteen double lanes keep the adds
 * independent (vectorised in {@link GramVector} when {@link Vectorization} says so).
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

    /** Double lanes of {@link #dot}: element j is added to lane j mod 16, lanes are summed in order. */
    static final int LANES = 16;

    /** The provider's choice (the vector form needs 2 to 16 doubles per vector, which every width gives). */
    private static final boolean VECTOR = Vectorization.vectorised() && GramVector.available();

    /**
     * Σ x[j]·y[j] over [0, n) in double, in a fixed order (lane j mod 16, then the lanes in order) that
     * the scalar and vector forms share, so the result never depends on the CPU.
     */
    public static double dot(float[] x, float[] y, int n) {
        java.util.Objects.checkFromIndexSize(0, n, x.length);
        java.util.Objects.checkFromIndexSize(0, n, y.length);
        return VECTOR ? GramVector.dot(x, y, n) : dotScalar(x, y, n);
    }

    /** The reference order of {@link #dot}, one element at a time (tests and benchmarks compare against it). */
    public static double dotScalar(float[] x, float[] y, int n) {
        return finish(new double[LANES], x, y, 0, n);
    }

    /** Adds elements [from, n) to their lanes, then sums the lanes in order. */
    static double finish(double[] lanes, float[] x, float[] y, int from, int n) {
        for (int j = from; j < n; j++) {
            lanes[j & (LANES - 1)] += (double) x[j] * y[j];
        }
        double s = 0;
        for (double l : lanes) {
            s += l;
        }
        return s;
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
