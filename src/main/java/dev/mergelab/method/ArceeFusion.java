package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.PositionRandom;
import dev.mergelab.method.kernel.RadixSelect;
import dev.mergelab.tensor.FloatKernels;
import dev.mergelab.tensor.MagnitudeCut;

import java.util.List;

/**
 * arcee_fusion (METHODS.md §2.17): take the other model's change only where it matters most.
 * <pre>
 *   imp = |θ_1 − θ_b| · KL(softmax θ_1 + 1e-8 ‖ softmax θ_b + 1e-8)   (KL per row, broadcast)
 *   thr = Q(.5) + 1.5·(Q(.75) − Q(.25)),  Q(f) = sorted(imp)[⌊f·(n'−1)⌋]
 *   out = θ_b + [imp ≥ thr]·(θ_1 − θ_b)
 * </pre>
 * Above {@value #SAMPLE} elements the quantiles come from a uniform sample of {@value #SAMPLE} elements
 * without replacement: those whose position-keyed random key ({@link PositionRandom}) is among the
 * {@value #SAMPLE} largest.
 *
 * <p>Chunked: rows lie inside a chunk, so the row softmaxes and KL are local. The three quantiles are
 * exact order statistics found by one radix selection (2 passes, O(histogram) state); with sampling,
 * 2 more passes first select the sample by its keys, reading no input. Each row's divergence is computed
 * once and kept ({@link RowDivergences}, O(rows) state); the importance is recomputed from it, identically,
 * in every pass that needs it (with sampling, the quantile passes only for the sampled elements).
 */
public final class ArceeFusion implements ChunkedMethod {

    static final int SAMPLE = 1_000_000;

    private static final MethodSpec SPEC = new MethodSpec("arcee_fusion",
            "Keeps the other model's changes whose KL-weighted importance is an upper outlier", "", "",
            BaseRequirement.REQUIRED, List.of(), true, false); // random only above 10^6 elements (sampled quantiles)

    private static final float[] QUANTILES = {0.25f, 0.5f, 0.75f};

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
        int[] others = job.otherIndices();
        if (others.length != 1) {
            throw MergeLabException.input("arcee_fusion: " + job.tensorName() + " has " + others.length
                    + " models besides the base; arcee_fusion needs exactly one", "merge one model at a time");
        }
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        return new Chunk(shape, job.baseIndex(), others[0], job.randomKey(others[0]));
    }

    private static final class Chunk extends RowMerge {
        private final int base;
        private final int other;
        private final long randomKey;
        private final boolean sampled;
        private final RowDivergences divergences;
        private RadixSelect sampleSelect;
        private MagnitudeCut sampleCut;
        private MagnitudeCut.Cursor sampleCursor;
        private final RadixSelect quantiles = new RadixSelect();
        private float threshold;
        private float[] imp = new float[0];
        private int[] keys = new int[0];

        Chunk(long[] shape, int base, int other, long randomKey) {
            super(shape);
            this.base = base;
            this.other = other;
            this.randomKey = randomKey;
            long numel = Shapes.numel(shape);
            this.sampled = numel > SAMPLE;
            this.sampleSelect = sampled ? new RadixSelect() : null;
            this.divergences = new RowDivergences(rowLength, Chunking.rows(shape));
        }

        @Override
        public int statisticPasses() {
            return sampled ? 4 : 2;
        }

        /** Stages 0 and 1 select the sample (sampled tensors only), 2 and 3 the quantiles of the importance. */
        private int stage(int pass) {
            return sampled ? pass : pass + 2;
        }

        @Override
        public boolean observesInputs(int pass) {
            return stage(pass) >= 2; // the sample is chosen by position alone
        }

        /** The importance of every element of the chunk, into {@code imp}. */
        private int fillImportance(long rowStart, int rows, float[][] inputs) {
            int n = rows * rowLength;
            imp = RowMerge.grow(imp, n);
            float[] b = inputs[base];
            float[] x = inputs[other];
            for (int r = 0; r < rows; r++) {
                int off = r * rowLength;
                double kl = divergences.of(rowStart + r, b, x, off);
                for (int j = off; j < off + rowLength; j++) {
                    imp[j] = importance(b[j], x[j], kl);
                }
            }
            return n;
        }

        private int[] keys(int n) {
            if (keys.length < n) {
                keys = new int[n];
            }
            return keys;
        }

        /** Sample key of a position: 30 random bits, a finite float's bits so magnitude cuts apply. */
        private int sampleKey(long position) {
            return (int) (PositionRandom.bits(randomKey, position) >>> 34);
        }

        private int sampleKeys(long start, int n) {
            int[] k = keys(n);
            for (int j = 0; j < n; j++) {
                k[j] = sampleKey(start + j);
            }
            return n;
        }

        /** Importance keys of the chunk; with sampling, only those of sampled elements (compacted). */
        private int importanceKeys(long rowStart, int rows, float[][] inputs) {
            int n = rows * rowLength;
            int[] k = keys(n);
            if (!sampled) {
                fillImportance(rowStart, rows, inputs);
                FloatKernels.magnitudeKeys(imp, 0, k, 0, n);
                return n;
            }
            // Only the sampled ~10^6 elements of the tensor need their importance; every row still needs
            // its divergence, so the cache fills in row order.
            float[] b = inputs[base];
            float[] x = inputs[other];
            long start = position(rowStart);
            int m = 0;
            for (int r = 0; r < rows; r++) {
                int off = r * rowLength;
                double kl = divergences.of(rowStart + r, b, x, off);
                for (int j = off; j < off + rowLength; j++) {
                    if (sampleCursor.keeps(Float.intBitsToFloat(sampleKey(start + j)))) {
                        k[m++] = FloatKernels.magnitudeKey(importance(b[j], x[j], kl));
                    }
                }
            }
            return m;
        }

        @Override
        public void observe(int pass, long rowStart, int rows, float[][] inputs) {
            int stage = stage(pass);
            // The key helpers may grow the keys buffer: take the count before reading the field.
            int n = stage < 2 ? sampleKeys(position(rowStart), rows * rowLength) : importanceKeys(rowStart, rows, inputs);
            switch (stage) {
                case 0 -> sampleSelect.countHigh(keys, n);
                case 1 -> sampleSelect.countLow(keys, n);
                case 2 -> quantiles.countHigh(keys, n);
                default -> quantiles.countLow(keys, n);
            }
        }

        @Override
        public void endPass(int pass) {
            switch (stage(pass)) {
                case 0 -> sampleSelect.resolve(SAMPLE);
                case 1 -> {
                    sampleCut = sampleSelect.cut(0);
                    sampleSelect = null;
                }
                case 2 -> {
                    long n = quantiles.count();
                    long[] ranks = new long[QUANTILES.length];
                    for (int i = 0; i < ranks.length; i++) {
                        long r = (long) (QUANTILES[i] * (float) (n - 1)); // formed in float32 upstream
                        ranks[i] = n - r;                                  // ascending rank r = (n−r)-th largest
                    }
                    quantiles.resolve(ranks);
                }
                default -> {
                    float q25 = Float.intBitsToFloat(quantiles.key(0));
                    float q50 = Float.intBitsToFloat(quantiles.key(1));
                    float q75 = Float.intBitsToFloat(quantiles.key(2));
                    threshold = q50 + 1.5f * (q75 - q25);
                }
            }
            sampleCursor = sampleCut == null ? null : sampleCut.cursor();
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = fillImportance(rowStart, rows, inputs);
            float[] b = inputs[base];
            float[] x = inputs[other];
            float thr = threshold;
            for (int j = 0; j < n; j++) {
                out[j] = imp[j] >= thr ? b[j] + (x[j] - b[j]) : b[j];
            }
        }
    }

    /** The importance of every element of whole tensors (diagnostics and tests). */
    static float[] importance(float[] base, float[] other, long[] shape) {
        int row = Chunking.rowLength(shape);
        float[] imp = new float[base.length];
        double[] p = new double[row];
        double[] q = new double[row];
        for (int off = 0; off < base.length; off += row) {
            double kl = RowDivergences.divergence(base, other, off, row, p, q);
            for (int j = off; j < off + row; j++) {
                imp[j] = importance(base[j], other[j], kl);
            }
        }
        return imp;
    }

    /** |θ_1 − θ_b| times the row's divergence, in float64 like the divergence, rounded once to float32. */
    private static float importance(float base, float other, double kl) {
        return (float) (Math.abs((double) other - base) * kl);
    }
}
