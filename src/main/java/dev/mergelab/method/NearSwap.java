package dev.mergelab.method;

import dev.mergelab.MergeLabException;

import java.util.List;

/**
 * nearswap (METHODS.md §2.16): move each base element towards the other model by at most t.
 * <pre>  ω = clamp(t / max(|θ_b − θ_1|, 1e-6), 0, 1),   out = ω·θ_1 + (1−ω)·θ_b</pre>
 * Chunked: element-wise, no statistics pass.
 */
public final class NearSwap implements ChunkedMethod {

    private static final MethodSpec SPEC = new MethodSpec("nearswap",
            "Moves each base element towards the other model by at most t", "", "",
            BaseRequirement.REQUIRED,
            List.of(ParamSpec.number("t", Scope.GLOBAL, null, "largest per-element move; <= 0 keeps the base", null)),
            false, true);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        job.requireBase(SPEC.name());
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        int a = job.baseIndex();
        int[] others = job.otherIndices();
        if (others.length == 0) {
            return RowMerge.copyOf(shape, a);
        }
        if (others.length != 1) {
            throw MergeLabException.input("nearswap: " + job.tensorName() + " has " + others.length
                    + " models besides the base; nearswap needs exactly one", "merge one model at a time");
        }
        int b = others[0];
        float t = (float) job.global().number("t");
        return new RowMerge(shape) {
            @Override
            public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
                float[] x = inputs[a];
                float[] y = inputs[b];
                for (int j = 0, n = rows * rowLength; j < n; j++) {
                    float w = Math.clamp(t / Math.max(Math.abs(x[j] - y[j]), 1e-6f), 0f, 1f);
                    out[j] = x[j] + w * (y[j] - x[j]);
                }
            }
        };
    }
}
