package dev.mergelab.method.kernel;

/**
 * mergekit's {@code rescaled_masked_tensor} (METHODS.md §4.5): scale the sparsified y so that its norm
 * matches the original x. One factor for the whole tensor, so DARE's rescale is ‖x‖₁/‖y‖₁ (about
 * 1/density), not the paper's per-element 1/p.
 */
public final class Rescale {

    /** Below this either norm is treated as zero and y is returned unscaled (upstream's guard). */
    public static final double NORM_FLOOR = 1e-7;

    private Rescale() {
    }

    /** y·N(x)/N(y), in place on y (which the caller owns); y unchanged when norm is null or a norm is tiny. */
    public static float[] matchNorm(float[] x, float[] y, Norm norm) {
        if (norm == null) {
            return y;
        }
        double before = norm.of(x);
        double after = norm.of(y);
        if (before < NORM_FLOOR || after < NORM_FLOOR) {
            return y;
        }
        float factor = (float) (before / after);
        for (int j = 0; j < y.length; j++) {
            y[j] *= factor;
        }
        return y;
    }
}
