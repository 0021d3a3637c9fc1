package dev.mergelab.method.kernel;

import java.util.SplittableRandom;

/**
 * The sparsification primitives of METHODS.md §4, on one task vector. Each returns x itself when
 * density ≥ 1 (callers treat results as read-only) and a new array otherwise. Parameter errors are the
 * calling method's business: these kernels only compute.
 */
public final class Sparsify {

    private Sparsify() {
    }

    /** k = int(density·n) as the spec pins it: the double product truncated toward zero. */
    public static long keepCount(double density, long n) {
        return (long) (density * (double) n);
    }

    /** §4.1: keep the k = int(density·n) largest |x|, then rescale. k = 0 gives zeros. */
    public static float[] magnitude(float[] x, double density, Norm rescale) {
        if (density >= 1) {
            return x;
        }
        int k = (int) Math.max(0, keepCount(density, x.length));
        return Rescale.matchNorm(x, Selection.topKByMagnitude(x, k), rescale);
    }

    /** §4.2: keep each element with probability density, then rescale (norm matching). */
    public static float[] bernoulli(float[] x, double density, Norm rescale, SplittableRandom rng) {
        if (density >= 1) {
            return x;
        }
        float[] y = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            if (rng.nextDouble() < density) {
                y[j] = x[j];
            }
        }
        return Rescale.matchNorm(x, y, rescale);
    }

    /** PEFT {@code random_pruning}: Bernoulli(density) then, if asked, exactly ÷density per element. */
    public static float[] bernoulliDivide(float[] x, double density, boolean rescale, SplittableRandom rng) {
        if (density >= 1) {
            return x;
        }
        float[] y = new float[x.length];
        float p = (float) density;
        for (int j = 0; j < x.length; j++) {
            if (rng.nextDouble() < density) {
                y[j] = rescale ? x[j] / p : x[j];
            }
        }
        return y;
    }

    /**
     * §4.3 with MergeLab's n_top = 0 rule: drop the n_bot smallest and the n_top largest |x|, keeping
     * exactly target = int(density·n) entries. When int(γ·n) = 0 no top outliers are removed (upstream
     * would drop everything there; see METHODS.md §2.6).
     */
    public static float[] magnitudeOutliers(float[] x, double density, double gamma, Norm rescale) {
        if (density >= 1) {
            return x;
        }
        long n = x.length;
        long target = Math.max(0, keepCount(density, n));
        long nTop = Math.max(0, keepCount(gamma, n));
        long nBot = n - target - nTop;
        if (nBot < 0) {
            nTop += nBot;
            nBot = 0;
        }
        float[] y = Selection.keepMagnitudeRanks(x, (int) nBot, (int) (n - nTop));
        return Rescale.matchNorm(x, y, rescale);
    }

    /**
     * §4.4 della_magprune: within each lane along dim 1 (a 1-D tensor is one lane), the element of stable
     * ascending magnitude rank r (0-based) of C is kept with p = density − ε + 2ε·r/(C−1), so small
     * entries are dropped more often and the mean keep rate is density. C = 1 uses p = density (upstream
     * divides 0 by 0 there). Rescale uses whole-tensor norms.
     */
    public static float[] dellaMagprune(float[] x, long[] shape, double density, double epsilon, Norm rescale,
                                        SplittableRandom rng) {
        if (density >= 1) {
            return x;
        }
        float[] y = new float[x.length];
        if (density <= 0) {
            return y;
        }
        Lanes lanes = shape.length <= 1 ? Lanes.flat(x.length) : Lanes.along(shape, 1);
        int c = lanes.length();
        long[] scratch = new long[c];
        int[] ranks = new int[c];
        double lowP = density - epsilon;
        double span = c > 1 ? 2 * epsilon / (c - 1) : 0;
        for (int lane = 0; lane < lanes.count(); lane++) {
            Selection.laneRanks(x, lanes, lane, scratch, ranks);
            int off = lanes.offset(lane);
            for (int k = 0; k < c; k++) {
                double p = c > 1 ? lowP + span * ranks[k] : density;
                int j = off + k * lanes.stride();
                if (rng.nextDouble() < p) {
                    y[j] = x[j];
                }
            }
        }
        return Rescale.matchNorm(x, y, rescale);
    }
}
