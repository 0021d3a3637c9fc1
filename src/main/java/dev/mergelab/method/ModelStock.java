package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.Lanes;
import dev.mergelab.method.kernel.Vec;

import java.util.List;

/**
 * model_stock (METHODS.md §2.10). With offsets o_i = θ_i − θ_b and c the mean pairwise cosine of the
 * offsets (per row when {@code filter_wise}):
 * <pre>  t = N·c / (1 + (N−1)·c),   out = t·mean_i θ_i + (1−t)·θ_b</pre>
 */
public final class ModelStock implements MergeMethod {

    private static final MethodSpec SPEC = new MethodSpec("model_stock",
            "Interpolates between the base and the models' mean by their offsets' mean cosine",
            "Model Stock: All we need is just a few fine-tuned models", "https://arxiv.org/abs/2403.19522",
            BaseRequirement.REQUIRED,
            List.of(ParamSpec.bool("filter_wise", Scope.GLOBAL, false, "one ratio per row instead of per tensor")),
            false, false);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public float[] merge(TensorMerge job) {
        job.requireBase(SPEC.name());
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        float[] base = in.data()[job.baseIndex()];
        int[] others = job.otherIndices();
        int n = others.length;
        if (n == 0) {
            return base.clone();
        }
        if (n < 2) {
            throw MergeLabException.input("model_stock: " + job.tensorName() + " needs the base and at least 2 other models, got "
                    + n, "add another fine-tuned model");
        }
        float[][] offsets = new float[n][];
        for (int i = 0; i < n; i++) {
            offsets[i] = Vec.sub(in.data()[others[i]], base);
        }
        boolean filterWise = job.global().bool("filter_wise");
        Lanes lanes = filterWise ? Lanes.along(in.shape(), -1) : Lanes.flat(base.length);

        float[] out = new float[base.length];
        for (int lane = 0; lane < lanes.count(); lane++) {
            int off = lanes.offset(lane);
            int len = lanes.length();
            int stride = lanes.stride();
            double cos = meanPairwiseCosine(offsets, off, stride, len);
            double denom = 1 + (n - 1) * cos;
            if (denom == 0) {
                throw MergeLabException.input("model_stock: the offsets of " + job.tensorName()
                        + " have mean cosine " + cos + ", which makes 1 + (N-1)·cos zero", "drop one of the models");
            }
            float t = (float) (n * cos / denom);
            for (int k = 0, j = off; k < len; k++, j += stride) {
                float mean = 0;
                for (int i : others) {
                    mean += in.data()[i][j];
                }
                mean /= n;
                out[j] = t * mean + (1 - t) * base[j];
            }
        }
        return out;
    }

    private static double meanPairwiseCosine(float[][] o, int off, int stride, int len) {
        double[] norms = new double[o.length];
        for (int i = 0; i < o.length; i++) {
            norms[i] = Vec.norm(o[i], off, stride, len);
        }
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < o.length; i++) {
            for (int k = i + 1; k < o.length; k++) {
                double c = Vec.dot(o[i], o[k], off, stride, len) / Math.max(norms[i] * norms[k], 1e-6);
                sum += Math.clamp(c, -1.0, 1.0);
                pairs++;
            }
        }
        return sum / pairs;
    }
}
