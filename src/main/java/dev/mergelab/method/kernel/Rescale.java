package dev.mergelab.method.kernel;

/**
 * mergekit's {@code rescaled_masked_tensor} (METHODS.md §4.5) as a streaming statistic: the norms of x
 * and of the masked y accumulate over chunks, and the one factor N(x)/N(y) for the whole tensor is
 * known after the pass. So DARE's rescale is ‖x‖₁/‖y‖₁ (about 1/density), not the paper's 1/p.
 */
public final class Rescale {

    /** Below this either norm is treated as zero and y is returned unscaled (upstream's guard). */
    public static final double NORM_FLOOR = 1e-7;

    private final Norm norm;
    private double before;
    private double after;

    public Rescale(Norm norm) {
        this.norm = norm;
    }

    /** Adds a chunk of the original x. */
    public void addBefore(float[] x, int n) {
        before = norm.add(before, norm.partial(x, n));
    }

    /** Adds the same chunk after masking. */
    public void addAfter(float[] y, int n) {
        after = norm.add(after, norm.partial(y, n));
    }

    /**
     * Adds a chunk's partial norms of x and of the masked y ({@link Norm#partial}) taken earlier, as
     * {@link #addBefore} and {@link #addAfter} would: a pass shared among threads folds its chunks'
     * partials here in position order, so the double sums do not depend on the sharing.
     */
    public void addPartials(double beforePartial, double afterPartial) {
        before = norm.add(before, beforePartial);
        after = norm.add(after, afterPartial);
    }

    /** N(x)/N(y) in float32, or 1 when either norm is below the floor. */
    public float factor() {
        double b = norm.finish(before);
        double a = norm.finish(after);
        return b < NORM_FLOOR || a < NORM_FLOOR ? 1f : (float) (b / a);
    }
}
