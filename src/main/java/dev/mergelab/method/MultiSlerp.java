package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.Gram;
import dev.mergelab.tensor.FloatKernels;

import java.util.List;

/**
 * multislerp (METHODS.md §2.15): a one-step weighted spherical mean of N ≥ 2 flattened tensors
 * (relative to the base when there is one):
 * <pre>
 *   û_i = v_i/(‖v_i‖+ε),  m = normalise(Σ w_i û_i),  T = Σ w_i (û_i − ⟨û_i,m⟩m),  L = ‖T‖ + ε
 *   out = (m·cos L + T·sin L / L)·Σ w_i ‖v_i‖
 * </pre>
 *
 * <p>Chunked: m, T and the result are linear combinations of the v_i, and their norms and projections
 * are quadratic forms in the Gram matrix ⟨v_i, v_k⟩. One statistics pass accumulates it (O(N²) state);
 * the combine pass writes Σ c_i v_i (+ θ_b).
 */
public final class MultiSlerp implements ChunkedMethod {

    private static final MethodSpec SPEC = new MethodSpec("multislerp",
            "Weighted spherical mean of two or more models, optionally relative to a base",
            "", "",
            BaseRequirement.OPTIONAL,
            List.of(ParamSpec.number("weight", Scope.PER_MODEL, null, "this model's weight", null),
                    ParamSpec.bool("normalize_weights", Scope.GLOBAL, true, "divide the weights by their sum"),
                    ParamSpec.number("eps", Scope.GLOBAL, 1e-8, "guard against zero norms", ParamSpec.atLeast(0))),
            false, false);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        int[] others = job.otherIndices();
        if (job.inputs().size() == 1) {
            return RowMerge.copyOf(job.inputs().getFirst().shape(), 0);
        }
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        if (others.length == 1) {
            // A lone model is returned as is, not relative to the base.
            return RowMerge.copyOf(shape, others[0]);
        }
        if (others.length == 0) {
            throw MergeLabException.input("multislerp: " + job.tensorName() + " has no model besides the base",
                    "add at least two models");
        }
        int n = others.length;
        double[] w = new double[n];
        double sumW = 0;
        for (int i = 0; i < n; i++) {
            w[i] = job.inputs().get(others[i]).params().number("weight");
            sumW += w[i];
        }
        if (job.global().bool("normalize_weights")) {
            if (sumW == 0) {
                throw MergeLabException.input("multislerp: weights sum to 0 for " + job.tensorName()
                        + " with normalize_weights", "change the weights or set normalize_weights: false");
            }
            for (int i = 0; i < n; i++) {
                w[i] /= sumW;
            }
        }
        return new Chunk(shape, job.baseIndex(), others, w, job.global().number("eps"), job.tensorName());
    }

    private static final class Chunk extends RowMerge {
        private final int base;
        private final int[] others;
        private final double[] w;
        private final double eps;
        private final String tensor;
        private final double[][] gram;
        private final float[][] v;
        /** The combine pass's operands: θ_b (when there is one) then the v_i, with their weights. */
        private final float[][] terms;
        private final float[] coef;

        Chunk(long[] shape, int base, int[] others, double[] w, double eps, String tensor) {
            super(shape);
            this.base = base;
            this.others = others;
            this.w = w;
            this.eps = eps;
            this.tensor = tensor;
            int n = others.length;
            this.gram = new double[n][n];
            this.v = new float[n][];
            int extra = base < 0 ? 0 : 1;
            this.terms = new float[n + extra][];
            this.coef = new float[n + extra];
        }

        @Override
        public int statisticPasses() {
            return 1;
        }

        /** v_i for the chunk: the models, or their offsets from the base. */
        private int prepare(int rows, float[][] inputs) {
            int len = rows * rowLength;
            for (int i = 0; i < others.length; i++) {
                if (base < 0) {
                    v[i] = inputs[others[i]];
                } else {
                    v[i] = grow(v[i], len);
                    FloatKernels.sub(inputs[others[i]], 0, inputs[base], 0, v[i], 0, len);
                }
            }
            return len;
        }

        @Override
        public void observe(int pass, long rowStart, int rows, float[][] inputs) {
            Gram.accumulate(v, prepare(rows, inputs), gram);
        }

        @Override
        public void endPass(int pass) {
            Gram.symmetrize(gram);
            int n = others.length;
            int extra = base < 0 ? 0 : 1;
            double[] unit = new double[n];     // û_i = unit_i·v_i
            double scale = 0;
            for (int i = 0; i < n; i++) {
                double r = Math.sqrt(Math.max(0, gram[i][i]));
                unit[i] = 1 / (r + eps);
                scale += w[i] * r;
            }
            double[] m = new double[n];
            for (int i = 0; i < n; i++) {
                m[i] = w[i] * unit[i];
            }
            double mNorm = Gram.norm(gram, m);
            if (mNorm < eps) {
                if (n != 2) {
                    throw MergeLabException.input("multislerp: the weighted directions of " + tensor
                            + " cancel out (mean norm " + mNorm + ")", "change the weights");
                }
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    coef[extra + i] = (float) w[i];
                    sum += w[i];
                }
                if (base >= 0) {
                    coef[0] = (float) (1 - sum);
                }
                return;
            }
            for (int i = 0; i < n; i++) {
                m[i] /= mNorm;
            }
            // T = Σ w_i (û_i − ⟨û_i, m⟩ m)
            double[] gm = Gram.times(gram, m);
            double along = 0;
            double[] tangent = new double[n];
            for (int i = 0; i < n; i++) {
                along += w[i] * unit[i] * gm[i];
                tangent[i] = w[i] * unit[i];
            }
            for (int i = 0; i < n; i++) {
                tangent[i] -= along * m[i];
            }
            double l = Gram.norm(gram, tangent) + eps;
            double a = Math.cos(l) * scale;
            double c = Math.sin(l) / l * scale;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double ci = a * m[i] + c * tangent[i];
                coef[extra + i] = (float) ci;
                sum += ci;
            }
            if (base >= 0) {
                coef[0] = (float) (1 - sum);
            }
        }

        /**
         * θ_b + Σ c_i (θ_i − θ_b) = (1 − Σ c_i)·θ_b + Σ c_i θ_i: one weighted sum of the inputs as read,
         * without forming the offsets again.
         */
        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int len = rows * rowLength;
            int extra = 0;
            if (base >= 0) {
                terms[0] = inputs[base];
                extra = 1;
            }
            for (int i = 0; i < others.length; i++) {
                terms[extra + i] = inputs[others[i]];
            }
            FloatKernels.weightedSum(terms, coef, 0, out, 0, len);
        }
    }
}
