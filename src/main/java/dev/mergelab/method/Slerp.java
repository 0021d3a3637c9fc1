package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.SlerpMath;
import dev.mergelab.tensor.FloatKernels;

import java.util.List;

/**
 * slerp (METHODS.md §2.13) between the base v0 and one other model v1, as whole flattened vectors:
 * <pre>
 *   d = ⟨v̂0, v̂1⟩;  |d| &gt; 0.9995 → (1−t)v0 + t·v1
 *   else Ω = acos d,  out = [sin((1−t)Ω)·v0 + sin(tΩ)·v1] / sin Ω
 * </pre>
 * v̂ = v/‖v‖ only when ‖v‖ &gt; 1e-8, so a zero tensor gives d = 0 and Ω = π/2 (upstream's behaviour).
 *
 * <p>Chunked: one statistics pass accumulates ‖v0‖², ‖v1‖² and ⟨v0,v1⟩ in double; the combine pass is
 * the weighted sum with the two coefficients.
 */
public final class Slerp implements ChunkedMethod {

    static final double COLINEAR = 0.9995;

    private static final MethodSpec SPEC = new MethodSpec("slerp",
            "Spherical interpolation between the base and one other model",
            "Animating rotation with quaternion curves", "https://doi.org/10.1145/325165.325242",
            BaseRequirement.REQUIRED,
            List.of(ParamSpec.number("t", Scope.GLOBAL, null, "interpolation factor: 0 gives the base, 1 the other model",
                    null)),
            false, false);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        if (job.inputs().size() == 1) {
            return RowMerge.copyOf(job.inputs().getFirst().shape(), 0);
        }
        job.requireBase(SPEC.name());
        if (job.inputs().size() != 2) {
            throw MergeLabException.input("slerp: " + job.tensorName() + " has " + job.inputs().size()
                    + " inputs; slerp needs the base and exactly one other model", "use multislerp or karcher for more");
        }
        double t = job.global().number("t");
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        int i0 = job.baseIndex();
        int i1 = job.otherIndices()[0];
        return new RowMerge(shape) {
            private double s00;
            private double s11;
            private double s01;
            private final float[] coef = new float[2];
            private final float[][] pair = new float[2][];

            @Override
            public int statisticPasses() {
                return 1;
            }

            @Override
            public void observe(int pass, long rowStart, int rows, float[][] inputs) {
                int n = rows * rowLength;
                s00 += FloatKernels.sumSquares(inputs[i0], 0, n);
                s11 += FloatKernels.sumSquares(inputs[i1], 0, n);
                s01 += FloatKernels.dot(inputs[i0], 0, inputs[i1], 0, n);
            }

            @Override
            public void endPass(int pass) {
                double n0 = Math.sqrt(s00);
                double n1 = Math.sqrt(s11);
                double d = s01 / ((n0 > 1e-8 ? n0 : 1) * (n1 > 1e-8 ? n1 : 1));
                boolean lerp = Math.abs(d) > COLINEAR;
                float[] c = SlerpMath.coefficients(t, lerp ? 0 : Math.acos(d), lerp);
                coef[0] = c[0];
                coef[1] = c[1];
            }

            @Override
            public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
                pair[0] = inputs[i0];
                pair[1] = inputs[i1];
                FloatKernels.weightedSum(pair, coef, 0, out, 0, rows * rowLength);
            }
        };
    }
}
