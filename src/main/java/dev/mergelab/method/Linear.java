package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.FloatKernels;

import java.util.List;

/**
 * linear (METHODS.md §2.1): out = Σ w_i θ_i, divided by Σ w_i when {@code normalize}. The base is an
 * ordinary input here and needs its own weight.
 *
 * <p>Chunked: element-wise, no statistics pass. The normalisation is folded into the weights
 * (w_i / Σw), so each chunk is one vectorised weighted sum that reads every input once.
 */
public final class Linear implements ChunkedMethod {

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
    public ChunkedMerge plan(TensorMerge job) {
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        float[] w = new float[job.inputs().size()];
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
        if (normalize) {
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) ((double) w[i] / sumW);
            }
        }
        return new RowMerge(shape) {
            @Override
            public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
                FloatKernels.weightedSum(inputs, w, 0, out, 0, rows * rowLength);
            }
        };
    }
}
