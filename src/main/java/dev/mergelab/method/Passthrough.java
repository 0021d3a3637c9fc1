package dev.mergelab.method;

import dev.mergelab.MergeLabException;

import java.util.List;

/** passthrough (METHODS.md §2.18): exactly one input, out = θ·scale. Used for layer stacking. */
public final class Passthrough implements MergeMethod {

    private static final MethodSpec SPEC = new MethodSpec("passthrough",
            "Copies the single input tensor, optionally scaled", "", "",
            BaseRequirement.NONE,
            List.of(ParamSpec.number("scale", Scope.PER_MODEL, 1.0, "multiplier applied to the tensor", null)),
            false, true);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public float[] merge(TensorMerge job) {
        if (job.inputs().size() != 1) {
            throw MergeLabException.input("passthrough: " + job.tensorName() + " has " + job.inputs().size()
                    + " inputs, expected exactly one", "give each slice a single source model");
        }
        TensorInput x = job.inputs().getFirst();
        float scale = (float) x.params().number("scale");
        float[] out = x.data().clone();
        if (x.params().has("scale")) {
            for (int j = 0; j < out.length; j++) {
                out[j] *= scale;
            }
        }
        return out;
    }
}
