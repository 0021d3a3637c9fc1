package dev.mergelab.method;

import dev.mergelab.method.kernel.RadixSelect;
import dev.mergelab.tensor.FloatKernels;
import dev.mergelab.tensor.MagnitudeCut;

import java.util.List;

/**
 * sce (METHODS.md §2.11): Select the positions where the models disagree most, Calculate per-model
 * weights from the selected task vectors' energy, Erase minority signs.
 * <pre>
 *   τ_i = θ_i − θ_b;  keep the int(nnz(v)·κ) positions of largest variance v over models (κ &lt; 1)
 *   m_i = [sign τ_i = sign Σ τ]          (unweighted vote)
 *   c_i = mean(τ_i²) / Σ_j mean(τ_j²)     (1/N when that sum &lt; 1e-6)
 *   out = θ_b + Σ c_i m_i τ_i / max(Σ c_i m_i, 1e-6)
 * </pre>
 *
 * <p>Chunked, with κ &lt; 1: pass 0 counts the nonzero variances (which fixes k) and histograms the
 * high bits of their keys, pass 1 the low bits (exact radix selection of the k-th largest variance),
 * pass 2 sums each model's selected τ_i²; with κ ≥ 1 only that last pass. State is O(models +
 * histogram); the variance of a position is recomputed identically in every pass.
 */
public final class Sce implements ChunkedMethod {

    private static final MethodSpec SPEC = new MethodSpec("sce",
            "Variance-selected, energy-weighted, sign-elected task vectors",
            "FuseChat: Knowledge Fusion of Chat Models", "https://arxiv.org/abs/2408.07990",
            BaseRequirement.REQUIRED,
            List.of(ParamSpec.number("select_topk", Scope.GLOBAL, 1.0,
                            "fraction of positions (by variance across models) kept", (ParamSpec.Check) v -> {
                                double d = (Double) v;
                                return d >= 0 && d <= 1 ? null : "must be in [0, 1]";
                            }),
                    ParamSpec.bool("int8_mask", Scope.GLOBAL, false, "upstream memory option; no numeric effect")),
            false, false);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        job.requireBase(SPEC.name());
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        int[] others = job.otherIndices();
        if (others.length == 0) {
            return RowMerge.copyOf(shape, job.baseIndex());
        }
        double kappa = job.global().number("select_topk");
        job.global().bool("int8_mask");
        return new Chunk(shape, job.baseIndex(), others, kappa);
    }

    private static final class Chunk extends RowMerge {
        private final int base;
        private final int[] others;
        private final double kappa;
        private final boolean select;
        private final long numel;
        private final RadixSelect radix = new RadixSelect();
        private long nonzero;
        private MagnitudeCut cut;
        private MagnitudeCut.Cursor cursor;
        private final double[] energy;
        private final float[] c;
        private final float[][] tau;
        private float[] variance = new float[0];
        private int[] keys = new int[0];

        Chunk(long[] shape, int base, int[] others, double kappa) {
            super(shape);
            this.base = base;
            this.others = others;
            this.kappa = kappa;
            this.select = kappa < 1;
            this.numel = Shapes.numel(shape);
            this.energy = new double[others.length];
            this.c = new float[others.length];
            this.tau = new float[others.length][];
        }

        @Override
        public int statisticPasses() {
            return select ? 3 : 1;
        }

        /** τ_i for the chunk, and (when selecting) the population variance over models per position and its keys. */
        private int prepare(int rows, float[][] inputs) {
            int n = rows * rowLength;
            for (int i = 0; i < others.length; i++) {
                tau[i] = grow(tau[i], n);
                FloatKernels.sub(inputs[others[i]], 0, inputs[base], 0, tau[i], 0, n);
            }
            if (select) {
                variance = grow(variance, n);
                FloatKernels.populationVariance(tau, variance, n);
                if (keys.length < n) {
                    keys = new int[n];
                }
                FloatKernels.magnitudeKeys(variance, 0, keys, 0, n);
            }
            return n;
        }

        /**
         * Zeroes every τ outside the selected positions: all below the cut key at once, then, in a chunk
         * holding keys equal to it, those past the cut's tie quota (consumed in index order).
         */
        private void erase(int n) {
            int cutKey = cut.key();
            if (FloatKernels.zeroWhereKeyBelow(keys, cutKey, tau, n) == 0) {
                return;
            }
            for (int j = 0; j < n; j++) {
                if (keys[j] == cutKey && !cursor.keeps(variance[j])) {
                    for (float[] t : tau) {
                        t[j] = 0;
                    }
                }
            }
        }

        @Override
        public void observe(int pass, long rowStart, int rows, float[][] inputs) {
            int n = prepare(rows, inputs);
            if (select && pass == 0) {
                radix.countHigh(keys, n);
                nonzero += FloatKernels.countMagnitudeAbove(variance, 0, n, 0);
            } else if (select && pass == 1) {
                radix.countLow(keys, n);
            } else {
                if (select) {
                    erase(n);
                }
                for (int i = 0; i < others.length; i++) {
                    energy[i] += FloatKernels.sumSquares(tau[i], 0, n);
                }
            }
        }

        @Override
        public void endPass(int pass) {
            if (select && pass == 0) {
                // Upstream forms count·κ in float32 before truncating.
                long k = kappa <= 0 ? 0 : (long) ((float) nonzero * (float) kappa);
                if (!radix.resolve(k)) {
                    cut = MagnitudeCut.NONE;
                }
            } else if (select && pass == 1) {
                if (cut == null) {
                    cut = radix.cut(0);
                }
            } else {
                double total = 0;
                for (int i = 0; i < others.length; i++) {
                    energy[i] /= numel;
                    total += energy[i];
                }
                for (int i = 0; i < others.length; i++) {
                    c[i] = (float) (total < 1e-6 ? 1.0 / others.length : energy[i] / total);
                }
            }
            cursor = cut == null ? null : cut.cursor();
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = prepare(rows, inputs);
            if (select) {
                erase(n);
            }
            FloatKernels.electedWeightedMean(tau, c, 1e-6f, inputs[base], out, n);
        }
    }
}
