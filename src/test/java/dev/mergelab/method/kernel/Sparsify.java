package dev.mergelab.method.kernel;

/**
 * The sparsification primitives of METHODS.md §4 on one whole task vector, for unit-level use (golden
 * §4 cases, properties): each drives the same {@link Sparsifier} the chunked merges use over the array
 * as one chunk, so there is one implementation. Each returns x itself when density ≥ 1 (callers treat
 * results as read-only) and a new array otherwise; x is never modified.
 */
public final class Sparsify {

    private Sparsify() {
    }

    /** k = int(density·n) as the spec pins it: the double product truncated toward zero. */
    public static long keepCount(double density, long n) {
        return Sparsifier.keepCount(density, n);
    }

    /** §4.1: keep the k = int(density·n) largest |x|, then rescale. k = 0 gives zeros. */
    public static float[] magnitude(float[] x, double density, Norm rescale) {
        return density >= 1 ? x : run(Sparsifier.magnitude(x.length, density, rescale), x, x.length);
    }

    /** §4.2: keep each element with probability density, then rescale (norm matching). */
    public static float[] bernoulli(float[] x, double density, Norm rescale, long randomKey) {
        return density >= 1 ? x : run(Sparsifier.bernoulli(x.length, randomKey, density, rescale), x, x.length);
    }

    /** PEFT {@code random_pruning}: Bernoulli(density) then, if asked, exactly ÷density per element. */
    public static float[] bernoulliDivide(float[] x, double density, boolean rescale, long randomKey) {
        return density >= 1 ? x : run(Sparsifier.bernoulliDivide(randomKey, density, rescale), x, x.length);
    }

    /** §4.3 with MergeLab's n_top = 0 rule (see {@link Sparsifier#magnitudeOutliers}). */
    public static float[] magnitudeOutliers(float[] x, double density, double gamma, Norm rescale) {
        return density >= 1 ? x : run(Sparsifier.magnitudeOutliers(x.length, density, gamma, rescale), x, x.length);
    }

    /** §4.4 della_magprune (see {@link Sparsifier#della}). */
    public static float[] dellaMagprune(float[] x, long[] shape, double density, double epsilon, Norm rescale,
                                        long randomKey) {
        return density >= 1 ? x : run(Sparsifier.della(shape, randomKey, density, epsilon, rescale), x, x.length);
    }

    /**
     * Drives {@code s} over x in chunks of {@code chunk} elements (which must respect the sparsifier's
     * row alignment); a new array, x untouched.
     */
    public static float[] run(Sparsifier s, float[] x, int chunk) {
        int n = x.length;
        int step = Math.max(1, chunk);
        float[] buf = new float[Math.min(step, Math.max(n, 1))];
        for (int pass = 0; pass < s.passes(); pass++) {
            for (int at = 0; at < n; at += step) {
                int len = Math.min(step, n - at);
                System.arraycopy(x, at, buf, 0, len);
                s.observe(pass, at, buf, len);
            }
            s.endPass(pass);
        }
        float[] out = new float[n];
        for (int at = 0; at < n; at += step) {
            int len = Math.min(step, n - at);
            System.arraycopy(x, at, buf, 0, len);
            s.apply(at, buf, len);
            System.arraycopy(buf, 0, out, at, len);
        }
        return out;
    }
}
