package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.FloatKernels;

import java.util.List;

/**
 * model_stock (METHODS.md §2.10). With offsets o_i = θ_i − θ_b and c the mean pairwise cosine of the
 * offsets (per row when {@code filter_wise}):
 * <pre>  t = N·c / (1 + (N−1)·c),   out = t·mean_i θ_i + (1−t)·θ_b</pre>
 *
 * <p>Chunked: for the whole tensor one statistics pass accumulates the offsets' Gram matrix ⟨o_i,o_k⟩
 * (double, O(N²) state); per row ({@code filter_wise}) each row lies inside a chunk, so no pass.
 */
public final class ModelStock implements ChunkedMethod {

    private static final MethodSpec SPEC = new MethodSpec("model_stock",
            "Interpolates between the base and the models' mean by their offsets' mean cosine",
            "Model Stock: All we need is just a few fine-tuned models", "https://arxiv.org/abs/2403.19522",
            BaseRequirement.REQUIRED,
            List.of(ParamSpec.bool("filter_wise", Scope.GLOBAL, false, "one ratio per row instead of per tensor")),
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
        int n = others.length;
        if (n == 0) {
            return RowMerge.copyOf(shape, job.baseIndex());
        }
        if (n < 2) {
            throw MergeLabException.input("model_stock: " + job.tensorName() + " needs the base and at least 2 other models, got "
                    + n, "add another fine-tuned model");
        }
        return new Chunk(shape, job.baseIndex(), others, job.global().bool("filter_wise"), job.tensorName());
    }

    private static final class Chunk extends RowMerge {
        private final int base;
        private final int[] others;
        private final boolean filterWise;
        private final String tensor;
        private final double[][] gram;
        private final float[][] offsets;
        private float t;

        Chunk(long[] shape, int base, int[] others, boolean filterWise, String tensor) {
            super(shape);
            this.base = base;
            this.others = others;
            this.filterWise = filterWise;
            this.tensor = tensor;
            this.gram = new double[others.length][others.length];
            this.offsets = new float[others.length][];
        }

        @Override
        public int statisticPasses() {
            return filterWise ? 0 : 1;
        }

        private void prepare(int n, float[][] inputs) {
            for (int i = 0; i < others.length; i++) {
                offsets[i] = grow(offsets[i], n);
                FloatKernels.sub(inputs[others[i]], 0, inputs[base], 0, offsets[i], 0, n);
            }
        }

        /** Adds ⟨o_i, o_k⟩ over {@code [off, off+len)} of the chunk's offsets to g. */
        private void accumulate(double[][] g, int off, int len) {
            for (int i = 0; i < offsets.length; i++) {
                for (int k = i; k < offsets.length; k++) {
                    g[i][k] += FloatKernels.dot(offsets[i], off, offsets[k], off, len);
                }
            }
        }

        @Override
        public void observe(int pass, long rowStart, int rows, float[][] inputs) {
            int n = rows * rowLength;
            prepare(n, inputs);
            accumulate(gram, 0, n);
        }

        @Override
        public void endPass(int pass) {
            t = ratio(gram);
        }

        /** t = N·c / (1 + (N−1)·c) from the Gram matrix of the offsets (upper triangle). */
        private float ratio(double[][] g) {
            int n = g.length;
            double sum = 0;
            int pairs = 0;
            for (int i = 0; i < n; i++) {
                for (int k = i + 1; k < n; k++) {
                    double c = g[i][k] / Math.max(Math.sqrt(g[i][i]) * Math.sqrt(g[k][k]), 1e-6);
                    sum += Math.clamp(c, -1.0, 1.0);
                    pairs++;
                }
            }
            double cos = sum / pairs;
            double denom = 1 + (n - 1) * cos;
            if (denom == 0) {
                throw MergeLabException.input("model_stock: the offsets of " + tensor
                        + " have mean cosine " + cos + ", which makes 1 + (N-1)·cos zero", "drop one of the models");
            }
            return (float) (n * cos / denom);
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = rows * rowLength;
            if (!filterWise) {
                mix(t, inputs, out, 0, n);
                return;
            }
            prepare(n, inputs);
            double[][] g = new double[others.length][others.length];
            for (int off = 0; off < n; off += rowLength) {
                for (double[] row : g) {
                    java.util.Arrays.fill(row, 0);
                }
                accumulate(g, off, rowLength);
                mix(ratio(g), inputs, out, off, rowLength);
            }
        }

        /** out = t·mean_i θ_i + (1−t)·θ_b over [off, off+len). */
        private void mix(float t, float[][] inputs, float[] out, int off, int len) {
            float[] b = inputs[base];
            float count = others.length;
            for (int j = off; j < off + len; j++) {
                float mean = 0;
                for (int i : others) {
                    mean += inputs[i][j];
                }
                mean /= count;
                out[j] = t * mean + (1 - t) * b[j];
            }
        }
    }
}
