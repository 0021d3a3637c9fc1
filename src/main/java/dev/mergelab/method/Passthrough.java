package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.FloatKernels;

import java.util.List;

/**
 * passthrough (METHODS.md §2.18): exactly one input, out = θ·scale. Used for layer stacking.
 * Chunked: element-wise, no statistics pass.
 */
public final class Passthrough implements ChunkedMethod {

    private static final MethodSpec SPEC = new MethodSpec("passthrough",
            "Copies the single input tensor, optionally scaled", "", "",
            BaseRequirement.NONE,
            List.of(ParamSpec.number("scale", Scope.PER_MODEL, 1.0, "multiplier applied to the tensor", null)),
            false, true, true);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        if (job.inputs().size() != 1) {
            throw MergeLabException.input("passthrough: " + job.tensorName() + " has " + job.inputs().size()
                    + " inputs, expected exactly one", "give each slice a single source model");
        }
        TensorInput x = job.inputs().getFirst();
        float scale = (float) x.params().number("scale");
        if (!x.params().has("scale")) {
            return RowMerge.copyOf(x.shape(), 0);
        }
        return new RowMerge(x.shape()) {
            @Override
            public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
                FloatKernels.scale(scale, inputs[0], 0, out, 0, rows * rowLength);
            }
        };
    }
}
