package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.Lanes;
import dev.mergelab.method.kernel.Selection;

import java.util.List;
import java.util.SplittableRandom;

/**
 * arcee_fusion (METHODS.md §2.17): take the other model's change only where it matters most.
 * <pre>
 *   imp = |θ_1 − θ_b| · KL(softmax θ_1 + 1e-8 ‖ softmax θ_b + 1e-8)   (KL per row, broadcast)
 *   thr = Q(.5) + 1.5·(Q(.75) − Q(.25)),  Q(f) = sorted(imp)[⌊f·(n'−1)⌋]
 *   out = θ_b + [imp ≥ thr]·(θ_1 − θ_b)
 * </pre>
 * Above {@value #SAMPLE} elements the quantiles come from a seeded sample without replacement.
 */
public final class ArceeFusion implements MergeMethod {

    static final int SAMPLE = 1_000_000;

    private static final MethodSpec SPEC = new MethodSpec("arcee_fusion",
            "Keeps the other model's changes whose KL-weighted importance is an upper outlier", "", "",
            BaseRequirement.REQUIRED, List.of(), true, false); // random only above 10^6 elements (sampled quantiles)

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public float[] merge(TensorMerge job) {
        if (job.inputs().size() == 1) {
            return job.inputs().getFirst().data().clone();
        }
        job.requireBase(SPEC.name());
        int[] others = job.otherIndices();
        if (others.length != 1) {
            throw MergeLabException.input("arcee_fusion: " + job.tensorName() + " has " + others.length
                    + " models besides the base; arcee_fusion needs exactly one", "merge one model at a time");
        }
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        float[] base = in.data()[job.baseIndex()];
        float[] other = in.data()[others[0]];
        float[] imp = importance(base, other, in.shape());
        float thr = threshold(imp, job.random(others[0]));
        float[] out = base.clone();
        for (int j = 0; j < out.length; j++) {
            if (imp[j] >= thr) {
                out[j] = base[j] + (other[j] - base[j]);
            }
        }
        return out;
    }

    /** |θ_1 − θ_b| times the row's KL divergence; computed in float64 because the softmaxes are nearly uniform. */
    static float[] importance(float[] base, float[] other, long[] shape) {
        Lanes rows = Lanes.along(shape, -1);
        float[] imp = new float[base.length];
        double[] p = new double[rows.length()];
        double[] q = new double[rows.length()];
        for (int r = 0; r < rows.count(); r++) {
            int off = rows.offset(r);
            softmax(other, off, rows.length(), p);
            softmax(base, off, rows.length(), q);
            double kl = 0;
            for (int k = 0; k < p.length; k++) {
                double pk = p[k] + 1e-8;
                double qk = q[k] + 1e-8;
                kl += pk * Math.log(pk / qk);
            }
            for (int k = 0; k < p.length; k++) {
                int j = off + k;
                imp[j] = (float) (Math.abs((double) other[j] - base[j]) * kl);
            }
        }
        return imp;
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

    /** Median + 1.5·IQR with upstream's index rule; a seeded sample of {@value #SAMPLE} above that size. */
    static float threshold(float[] imp, SplittableRandom rng) {
        float[] pool = imp.clone();
        int n = pool.length;
        if (n > SAMPLE) {
            // Partial Fisher–Yates: the first SAMPLE slots become a uniform sample without replacement.
            for (int i = 0; i < SAMPLE; i++) {
                int k = i + rng.nextInt(n - i);
                float tmp = pool[i];
                pool[i] = pool[k];
                pool[k] = tmp;
            }
            n = SAMPLE;
        }
        float q25 = quantile(pool, n, 0.25f);
        float q50 = quantile(pool, n, 0.5f);
        float q75 = quantile(pool, n, 0.75f);
        return q50 + 1.5f * (q75 - q25);
    }

    private static float quantile(float[] values, int n, float f) {
        int r = (int) (f * (float) (n - 1)); // formed in float32 upstream
        return Selection.rankValue(values, n, r);
    }
}
