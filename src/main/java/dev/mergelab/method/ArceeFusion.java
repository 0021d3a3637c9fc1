package dev.mergelab.method;

import dev.mergelab.method.kernel.MethodKernels;
import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.RadixSelect;
import dev.mergelab.tensor.FloatKernels;

import java.util.Arrays;
import java.util.List;

/**
 * arcee_fusion (METHODS.md §2.17): take the other model's change only where it matters most.
 * <pre>
 *   imp = |θ_1 − θ_b| · KL(softmax θ_1 + 1e-8 ‖ softmax θ_b + 1e-8)   (KL per row, broadcast)
 *   thr = Q(.5) + 1.5·(Q(.75) − Q(.25)),  Q(f) = sorted(imp)[⌊f·(n'−1)⌋]
 *   out = θ_b + [imp ≥ thr]·(θ_1 − θ_b)
 * </pre>
 * Above {@value #SAMPLE} elements the quantiles come from a uniform sample of {@value #SAMPLE} elements
 * without replacement: those whose position-keyed random key is among the {@value #SAMPLE} largest
 * ({@link PositionSample}).
 *
 * <p>Chunked: rows lie inside a chunk, so the row softmaxes and KL are local. The quantiles need at
 * most {@value #SAMPLE} importances, so one statistics pass collects their keys (4 MB at most) and the
 * three exact order statistics are found in memory by a radix selection. The sample, which depends on
 * positions only, is drawn before the pass and kept as its sorted positions (8 MB) while it runs, so
 * only the sampled elements' importance is computed. Each row's divergence is computed once, in that
 * pass, and kept ({@link RowDivergences}, O(rows) state); the importance is recomputed from it,
 * identically, in the combine pass.
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
        private final long numel;
        private final boolean sampled;
        private final RowDivergences divergences;
        private long[] sample;     // the sampled positions, ascending, in [0, SAMPLE), during the statistics pass
        private int[] sampleKeys;  // importance keys of the sample (every element when not sampling), during it
        private int collected;
        private float threshold;
        private double[] kl = new double[0];
        private float[] imp = new float[0];

        Chunk(long[] shape, int base, int other, long randomKey) {
            super(shape);
            this.base = base;
            this.other = other;
            this.randomKey = randomKey;
            this.numel = Shapes.numel(shape);
            this.sampled = numel > SAMPLE;
            this.divergences = new RowDivergences(rowLength, Chunking.rows(shape));
        }

        @Override
        public int statisticPasses() {
            return 1;
        }

        @Override
        public long stateBytes() {
            return (sampled ? PositionSample.bytes(SAMPLE) : 0) + Integer.BYTES * Math.min(numel, SAMPLE) + divergences.bytes();
        }

        /** The divergence of every row of the chunk, into {@code kl}. */
        private void rowDivergences(long rowStart, int rows, float[][] inputs) {
            if (kl.length < rows) {
                kl = new double[rows];
            }
            divergences.of(rowStart, rows, inputs[base], inputs[other], kl);
        }

        /** The importance of every element of the chunk, into {@code imp}. */
        private void fillImportance(long rowStart, int rows, float[][] inputs) {
            rowDivergences(rowStart, rows, inputs);
            imp = RowMerge.grow(imp, rows * rowLength);
            for (int r = 0; r < rows; r++) {
                MethodKernels.scaledAbsDifference(inputs[other], inputs[base], r * rowLength, rowLength, kl[r], imp, r * rowLength);
            }
        }

        /** Appends the importance keys of the chunk's elements (with sampling, of its sampled ones) to sampleKeys. */
        private void collectKeys(long rowStart, int rows, float[][] inputs) {
            int n = rows * rowLength;
            if (!sampled) {
                fillImportance(rowStart, rows, inputs);
                FloatKernels.magnitudeKeys(imp, 0, sampleKeys, collected, n);
                collected += n;
                return;
            }
            rowDivergences(rowStart, rows, inputs); // every row, so the cache fills for the combine pass
            float[] b = inputs[base];
            float[] x = inputs[other];
            long start = position(rowStart);
            int i = Arrays.binarySearch(sample, 0, SAMPLE, start);
            for (i = i < 0 ? -i - 1 : i; i < SAMPLE && sample[i] < start + n; i++) {
                int j = (int) (sample[i] - start);
                sampleKeys[collected++] = FloatKernels.magnitudeKey(importance(b[j], x[j], kl[j / rowLength]));
            }
        }

        @Override
        public void observe(int pass, long rowStart, int rows, float[][] inputs) {
            if (sampleKeys == null) {
                sample = sampled ? PositionSample.draw(randomKey, numel, SAMPLE) : null;
                sampleKeys = new int[(int) Math.min(numel, SAMPLE)];
            }
            collectKeys(rowStart, rows, inputs);
        }

        @Override
        public void endPass(int pass) {
            // The three order statistics of the collected keys: a radix selection over them in memory.
            int n = collected;
            RadixSelect quantiles = new RadixSelect();
            quantiles.countHigh(sampleKeys, n);
            long[] ranks = new long[QUANTILES.length];
            for (int i = 0; i < ranks.length; i++) {
                long r = (long) (QUANTILES[i] * (float) (n - 1)); // formed in float32 upstream
                ranks[i] = n - r;                                  // ascending rank r = (n−r)-th largest
            }
            quantiles.resolve(ranks);
            quantiles.countLow(sampleKeys, n);
            float q25 = Float.intBitsToFloat(quantiles.key(0));
            float q50 = Float.intBitsToFloat(quantiles.key(1));
            float q75 = Float.intBitsToFloat(quantiles.key(2));
            threshold = q50 + 1.5f * (q75 - q25);
            sample = null;
            sampleKeys = null;
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            rowDivergences(rowStart, rows, inputs);
            for (int r = 0; r < rows; r++) {
                MethodKernels.keepLargeChanges(inputs[other], inputs[base], r * rowLength, rowLength, kl[r], threshold, out, r * rowLength);
            }
        }
    }

    /** The importance of every element of whole tensors (diagnostics and tests). */
    static float[] importance(float[] base, float[] other, long[] shape) {
        int row = Chunking.rowLength(shape);
        float[] imp = new float[base.length];
        double[] scratch = new double[2 * row];
        for (int off = 0; off < base.length; off += row) {
            double kl = RowDivergences.divergence(base, other, off, row, scratch);
            MethodKernels.scaledAbsDifference(other, base, off, row, kl, imp, off);
        }
        return imp;
    }

    /**
     * |θ_1 − θ_b| times the row's divergence, in float64 like the divergence, rounded once to float32 (one
     * element; {@link MethodKernels#scaledAbsDifference} for rows).
     */
    private static float importance(float base, float other, double kl) {
        return (float) (Math.abs((double) other - base) * kl);
    }
}
