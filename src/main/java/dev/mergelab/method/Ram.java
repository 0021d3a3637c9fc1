package dev.mergelab.method;

import dev.mergelab.method.kernel.Vec;

import java.util.ArrayList;
import java.util.List;

/**
 * ram and ramplus_tl (METHODS.md §2.19–2.20). A delta counts where |δ_ij| &gt; ε; with c_j active models
 * at position j, a lone delta is kept whole and several are averaged:
 * <pre>
 *   ram:        out_j = θ_bj + Σ_i a_ij δ_ij·([c_j = 1] + [c_j &gt; 1]/c_j)
 *   ramplus_tl: out_j = θ_bj + Σ_i a_ij δ_ij·(λ_i[c_j = 1] + [c_j &gt; 1]/c_j),
 *               λ_i = 1 + r·clamp(shared_i / max(unique_i, ε), 0, α)
 * </pre>
 * ramplus_tl boosts a model's unique contributions by how much it otherwise shares.
 */
public final class Ram implements MergeMethod {

    public static final List<MergeMethod> ALL = List.of(new Ram(false), new Ram(true));

    private final boolean plus;
    private final MethodSpec spec;

    private Ram(boolean plus) {
        this.plus = plus;
        List<ParamSpec> params = new ArrayList<>();
        params.add(ParamSpec.number("epsilon", Scope.GLOBAL, 1e-5, "a delta counts when its magnitude exceeds this",
                ParamSpec.atLeast(0)));
        if (plus) {
            params.add(ParamSpec.number("r", Scope.GLOBAL, 0.1, "strength of the unique-delta boost", ParamSpec.atLeast(0)));
            params.add(ParamSpec.number("alpha", Scope.GLOBAL, 0.2, "cap on the shared/unique ratio", ParamSpec.atLeast(0)));
        }
        this.spec = new MethodSpec(plus ? "ramplus_tl" : "ram",
                plus ? "RAM with per-model boosts of unique deltas by their shared/unique ratio"
                        : "Keeps lone deltas whole and averages overlapping ones",
                "", "", BaseRequirement.REQUIRED, params, false, !plus);
    }

    @Override
    public MethodSpec spec() {
        return spec;
    }

    @Override
    public float[] merge(TensorMerge job) {
        job.requireBase(spec.name());
        Shapes.Aligned in = Shapes.aligned(spec.name(), job);
        float[] base = in.data()[job.baseIndex()];
        int[] others = job.otherIndices();
        int n = others.length;
        if (n == 0) {
            return base.clone();
        }
        float eps = (float) job.global().number("epsilon");
        float[][] delta = new float[n][];
        for (int i = 0; i < n; i++) {
            delta[i] = Vec.sub(in.data()[others[i]], base);
        }
        int len = base.length;
        short[] count = new short[len];
        for (float[] d : delta) {
            for (int j = 0; j < len; j++) {
                if (Math.abs(d[j]) > eps) {
                    count[j]++;
                }
            }
        }
        float[] boost = new float[n];
        java.util.Arrays.fill(boost, 1f);
        if (plus) {
            float r = (float) job.global().number("r");
            float alpha = (float) job.global().number("alpha");
            for (int i = 0; i < n; i++) {
                long shared = 0;
                long unique = 0;
                for (int j = 0; j < len; j++) {
                    if (Math.abs(delta[i][j]) > eps) {
                        if (count[j] == 1) {
                            unique++;
                        } else {
                            shared++;
                        }
                    }
                }
                // With no unique entries λ multiplies nothing; 1 avoids upstream's 0/0 at ε = 0.
                if (unique > 0) {
                    float rho = shared / Math.max((float) unique, eps);
                    boost[i] = 1 + r * Math.clamp(rho, 0f, alpha);
                }
            }
        }
        float[] out = new float[len];
        for (int j = 0; j < len; j++) {
            int c = count[j];
            float sum = 0;
            for (int i = 0; i < n; i++) {
                float d = delta[i][j];
                if (Math.abs(d) > eps) {
                    sum += c == 1 ? boost[i] * d : d;
                }
            }
            out[j] = base[j] + (c > 1 ? sum / c : sum);
        }
        return out;
    }
}
