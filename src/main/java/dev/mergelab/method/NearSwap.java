package dev.mergelab.method;

import dev.mergelab.MergeLabException;

import java.util.List;

/**
 * nearswap (METHODS.md §2.16): move each base element towards the other model by at most t.
 * <pre>  ω = clamp(t / max(|θ_b − θ_1|, 1e-6), 0, 1),   out = ω·θ_1 + (1−ω)·θ_b</pre>
 */
public final class NearSwap implements MergeMethod {

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
    public float[] merge(TensorMerge job) {
        job.requireBase(SPEC.name());
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        float[] a = in.data()[job.baseIndex()];
        int[] others = job.otherIndices();
        if (others.length == 0) {
            return a.clone();
        }
        if (others.length != 1) {
            throw MergeLabException.input("nearswap: " + job.tensorName() + " has " + others.length
                    + " models besides the base; nearswap needs exactly one", "merge one model at a time");
        }
        float[] b = in.data()[others[0]];
        float t = (float) job.global().number("t");
        float[] out = new float[a.length];
        for (int j = 0; j < out.length; j++) {
            float w = Math.clamp(t / Math.max(Math.abs(a[j] - b[j]), 1e-6f), 0f, 1f);
            out[j] = a[j] + w * (b[j] - a[j]);
        }
        return out;
    }
}
