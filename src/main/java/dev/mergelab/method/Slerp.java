package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.SlerpMath;
import dev.mergelab.method.kernel.Vec;

import java.util.List;

/**
 * slerp (METHODS.md §2.13) between the base v0 and one other model v1, as whole flattened vectors:
 * <pre>
 *   d = ⟨v̂0, v̂1⟩;  |d| &gt; 0.9995 → (1−t)v0 + t·v1
 *   else Ω = acos d,  out = [sin((1−t)Ω)·v0 + sin(tΩ)·v1] / sin Ω
 * </pre>
 * v̂ = v/‖v‖ only when ‖v‖ &gt; 1e-8, so a zero tensor gives d = 0 and Ω = π/2 (upstream's behaviour).
 */
public final class Slerp implements MergeMethod {

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
    public float[] merge(TensorMerge job) {
        if (job.inputs().size() == 1) {
            return job.inputs().getFirst().data().clone();
        }
        job.requireBase(SPEC.name());
        if (job.inputs().size() != 2) {
            throw MergeLabException.input("slerp: " + job.tensorName() + " has " + job.inputs().size()
                    + " inputs; slerp needs the base and exactly one other model", "use multislerp or karcher for more");
        }
        double t = job.global().number("t");
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        float[] v0 = in.data()[job.baseIndex()];
        float[] v1 = in.data()[job.otherIndices()[0]];
        double n0 = Vec.norm(v0);
        double n1 = Vec.norm(v1);
        double d = Vec.dot(v0, v1) / ((n0 > 1e-8 ? n0 : 1) * (n1 > 1e-8 ? n1 : 1));
        float[] out = new float[v0.length];
        boolean lerp = Math.abs(d) > COLINEAR;
        SlerpMath.combine(v0, v1, out, 0, 1, v0.length, t, lerp ? 0 : Math.acos(d), lerp);
        return out;
    }
}
