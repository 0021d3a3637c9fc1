package dev.mergelab.method;

import dev.mergelab.MergeLabException;

import java.util.List;

/**
 * linear (METHODS.md §2.1): out = Σ w_i θ_i, divided by Σ w_i when {@code normalize}. The base is an
 * ordinary input here and needs its own weight.
 */
public final class Linear implements MergeMethod {

    private static final MethodSpec SPEC = new MethodSpec("linear",
            "Weighted average of all inputs",
            "Model soups: averaging weights of multiple fine-tuned models improves accuracy without increasing inference time",
            "https://arxiv.org/abs/2203.05482",
            BaseRequirement.NOT_SPECIAL,
            List.of(ParamSpec.number("weight", Scope.PER_MODEL, null, "this model's weight", null),
                    ParamSpec.bool("normalize", Scope.GLOBAL, true, "divide by the sum of the weights")),
            false, true);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public float[] merge(TensorMerge job) {
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        float[] w = new float[in.data().length];
        float sumW = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) job.inputs().get(i).params().number("weight");
            sumW += w[i];
        }
        boolean normalize = job.global().bool("normalize");
        if (normalize && sumW == 0) {
            throw MergeLabException.input("linear: weights sum to 0 for " + job.tensorName() + " with normalize",
                    "change the weights or set normalize: false");
        }
        float[] out = new float[in.numel()];
        for (int j = 0; j < out.length; j++) {
            float s = 0;
            for (int i = 0; i < w.length; i++) {
                s += w[i] * in.data()[i][j];
            }
            out[j] = normalize ? s / sumW : s;
        }
        return out;
    }
}
