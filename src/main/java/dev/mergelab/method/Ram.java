package dev.mergelab.method;

import dev.mergelab.tensor.FloatKernels;

import java.util.ArrayList;
import java.util.Arrays;
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
 *
 * <p>Chunked: ram is element-wise (no statistics pass); ramplus_tl counts each model's shared and
 * unique entries over the whole tensor in one statistics pass (O(models) state).
 */
public final class Ram implements ChunkedMethod {

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
    public ChunkedMerge plan(TensorMerge job) {
        job.requireBase(spec.name());
        long[] shape = Shapes.commonShape(spec.name(), job);
        int b = job.baseIndex();
        int[] others = job.otherIndices();
        if (others.length == 0) {
            return RowMerge.copyOf(shape, b);
        }
        float eps = (float) job.global().number("epsilon");
        float r = plus ? (float) job.global().number("r") : 0;
        float alpha = plus ? (float) job.global().number("alpha") : 0;
        return new Chunk(shape, b, others, eps, r, alpha);
    }

    private final class Chunk extends RowMerge {
        private final int base;
        private final int[] others;
        private final float eps;
        private final float r;
        private final float alpha;
        private final long[] shared;
        private final long[] unique;
        private final float[] boost;
        private float[][] delta;
        private int[] count = new int[0];

        Chunk(long[] shape, int base, int[] others, float eps, float r, float alpha) {
            super(shape);
            this.base = base;
            this.others = others;
            this.eps = eps;
            this.r = r;
            this.alpha = alpha;
            this.shared = new long[others.length];
            this.unique = new long[others.length];
            this.boost = new float[others.length];
            Arrays.fill(boost, 1f);
            this.delta = new float[others.length][];
        }

        @Override
        public int statisticPasses() {
            return plus ? 1 : 0;
        }

        /** δ_i = θ_i − θ_b for the chunk, and c_j, the number of active models per position. */
        private int prepare(int rows, float[][] inputs) {
            int n = rows * rowLength;
            if (count.length < n) {
                count = new int[n];
            } else {
                Arrays.fill(count, 0, n, 0);
            }
            for (int i = 0; i < others.length; i++) {
                delta[i] = grow(delta[i], n);
                FloatKernels.sub(inputs[others[i]], 0, inputs[base], 0, delta[i], 0, n);
                float[] d = delta[i];
                for (int j = 0; j < n; j++) {
                    count[j] += Math.abs(d[j]) > eps ? 1 : 0;
                }
            }
            return n;
        }

        @Override
        public void observe(int pass, long rowStart, int rows, float[][] inputs) {
            int n = prepare(rows, inputs);
            for (int i = 0; i < others.length; i++) {
                float[] d = delta[i];
                long u = 0;
                long s = 0;
                for (int j = 0; j < n; j++) {
                    if (Math.abs(d[j]) > eps) {
                        if (count[j] == 1) {
                            u++;
                        } else {
                            s++;
                        }
                    }
                }
                unique[i] += u;
                shared[i] += s;
            }
        }

        @Override
        public void endPass(int pass) {
            for (int i = 0; i < others.length; i++) {
                // With no unique entries λ multiplies nothing; 1 avoids upstream's 0/0 at ε = 0.
                if (unique[i] > 0) {
                    float rho = shared[i] / Math.max((float) unique[i], eps);
                    boost[i] = 1 + r * Math.clamp(rho, 0f, alpha);
                }
            }
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = prepare(rows, inputs);
            float[] theta = inputs[base];
            for (int j = 0; j < n; j++) {
                int c = count[j];
                float sum = 0;
                for (int i = 0; i < others.length; i++) {
                    float d = delta[i][j];
                    if (Math.abs(d) > eps) {
                        sum += c == 1 ? boost[i] * d : d;
                    }
                }
                out[j] = theta[j] + (c > 1 ? sum / c : sum);
            }
        }
    }
}
