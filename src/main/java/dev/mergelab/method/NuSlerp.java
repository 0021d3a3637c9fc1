package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.Lanes;
import dev.mergelab.method.kernel.SlerpMath;
import dev.mergelab.method.kernel.Vec;

import java.util.List;

/**
 * nuslerp (METHODS.md §2.14): slerp of two models at t = w_2/(w_1+w_2), relative to the base when there
 * is one, over the whole tensor or per lane:
 * <pre>
 *   Ω = acos⟨v0/‖v0‖, v1/‖v1‖⟩,  out = [sin((1−t)Ω)·v0 + sin(tΩ)·v1] / sin Ω   (lerp where |sin Ω| &lt; 1e-8)
 *   with base: out = θ_b + S(t, θ_1 − θ_b, θ_2 − θ_b)
 * </pre>
 * {@code nuslerp_row_wise} selects <em>columns</em> (dim 0); the name is inverted relative to its effect.
 */
public final class NuSlerp implements MergeMethod {

    private static final MethodSpec SPEC = new MethodSpec("nuslerp",
            "Spherical interpolation of two models by weight, optionally relative to a base and per row or column",
            "", "",
            BaseRequirement.OPTIONAL,
            List.of(ParamSpec.number("weight", Scope.PER_MODEL, null, "this model's share of t = w2/(w1+w2)", null),
                    ParamSpec.bool("nuslerp_flatten", Scope.GLOBAL, true, "slerp the whole tensor as one vector"),
                    ParamSpec.bool("nuslerp_row_wise", Scope.GLOBAL, false,
                            "without flatten: slerp columns (dim 0) instead of rows")),
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
        int[] others = job.otherIndices();
        if (others.length != 2) {
            throw MergeLabException.input("nuslerp: " + job.tensorName() + " has " + others.length
                    + " models besides the base; nuslerp needs exactly two", "use multislerp for more models");
        }
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        double w1 = job.inputs().get(others[0]).params().number("weight");
        double w2 = job.inputs().get(others[1]).params().number("weight");
        double t = Math.abs(w1 + w2) < 1e-6 ? 0.5 : w2 / (w1 + w2);

        int b = job.baseIndex();
        float[] base = b < 0 ? null : in.data()[b];
        float[] v0 = base == null ? in.data()[others[0]] : Vec.sub(in.data()[others[0]], base);
        float[] v1 = base == null ? in.data()[others[1]] : Vec.sub(in.data()[others[1]], base);

        Lanes lanes;
        if (job.global().bool("nuslerp_flatten")) {
            lanes = Lanes.flat(v0.length);
        } else {
            lanes = Lanes.along(in.shape(), job.global().bool("nuslerp_row_wise") ? 0 : -1);
        }
        float[] out = new float[v0.length];
        for (int lane = 0; lane < lanes.count(); lane++) {
            int off = lanes.offset(lane);
            int stride = lanes.stride();
            int len = lanes.length();
            double n0 = Math.max(Vec.norm(v0, off, stride, len), 1e-7);
            double n1 = Math.max(Vec.norm(v1, off, stride, len), 1e-7);
            double cos = Math.clamp(Vec.dot(v0, v1, off, stride, len) / (n0 * n1), -1.0, 1.0);
            double omega = Math.acos(cos);
            SlerpMath.combine(v0, v1, out, off, stride, len, t, omega, Math.abs(Math.sin(omega)) < 1e-8);
        }
        if (base != null) {
            for (int j = 0; j < out.length; j++) {
                out[j] += base[j];
            }
        }
        return out;
    }
}
