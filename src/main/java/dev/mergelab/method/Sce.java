package dev.mergelab.method;

import dev.mergelab.method.kernel.MethodKernels;
import dev.mergelab.method.kernel.RadixSelect;
import dev.mergelab.tensor.FloatKernels;
import dev.mergelab.method.kernel.MagnitudeCut;

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
 * pass 2 sums each model's selected τ_i²; with κ ≥ 1 only that last pass. On large tensors pass 0
 * also guesses the cut's bucket from the first chunk ({@link RadixSelect#guess}); when the guess holds,
 * pass 1 is skipped, with the same result. State is O(models + histograms); the variance of a
 * position is recomputed identically in every pass.
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
        /** Tensors from this size guess the cut bucket (below it the guessed histograms cost more than a pass). */
        private static final long GUESS_FROM = 1 << 20;

        private final int base;
        private final int[] others;
        private final double kappa;
        private final boolean select;
        private final long numel;
        private final RadixSelect radix = new RadixSelect();
        private long nonzero;
        private boolean lowPass = true;   // whether the low-bit pass runs (known after pass 0)
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
            return select ? (lowPass ? 3 : 2) : 1;
        }

        @Override
        public long stateBytes() {
            return select ? RadixSelect.stateBytes(1, guesses()) : 0;
        }

        private boolean guesses() {
            return numel >= GUESS_FROM && numel < Integer.MAX_VALUE;
        }

        /** Whether pass {@code pass} sums the energies (the last statistics pass). */
        private boolean isEnergyPass(int pass) {
            return pass == statisticPasses() - 1;
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
                MethodKernels.populationVariance(tau, variance, n);
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
            if (MethodKernels.zeroWhereKeyBelow(keys, cutKey, tau, n) == 0) {
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
            if (isEnergyPass(pass)) {
                if (select) {
                    erase(n);
                }
                for (int i = 0; i < others.length; i++) {
                    energy[i] += FloatKernels.sumSquares(tau[i], 0, n);
                }
            } else if (pass == 0) {
                radix.countHigh(keys, n);
                long nonzeroHere = FloatKernels.countMagnitudeAbove(variance, 0, n, 0);
                nonzero += nonzeroHere;
                if (rowStart == 0 && guesses()) {
                    // k is int(nonzero·κ) of the whole tensor; the first chunk's share of nonzeros estimates it.
                    radix.guess(keys, n, kappa * nonzeroHere / n);
                }
            } else {
                radix.countLow(keys, n);
            }
        }

        @Override
        public void endPass(int pass) {
            if (isEnergyPass(pass)) {
                double total = 0;
                for (int i = 0; i < others.length; i++) {
                    energy[i] /= numel;
                    total += energy[i];
                }
                for (int i = 0; i < others.length; i++) {
                    c[i] = (float) (total < 1e-6 ? 1.0 / others.length : energy[i] / total);
                }
            } else if (pass == 0) {
                // Upstream forms count·κ in float32 before truncating.
                long k = kappa <= 0 ? 0 : (long) ((float) nonzero * (float) kappa);
                lowPass = radix.resolve(k);
                if (!lowPass) {
                    cut = radix.cut(0);   // k = 0 (nothing selected) or the guessed bucket held it
                }
            } else {
                cut = radix.cut(0);
            }
            cursor = cut == null ? null : cut.cursor();
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = prepare(rows, inputs);
            if (select) {
                erase(n);
            }
            MethodKernels.electedWeightedMean(tau, c, 1e-6f, inputs[base], out, n);
        }
    }
}
