package dev.mergelab.infer;

import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;

/**
 * The first {@link MatMul}: decodes one weight row at a time into a small per-thread buffer and dots it with
 * every token of the batch, so a prefill of n tokens reads the weight once and no float32 copy of the model
 * is ever made. Rows are split into fixed blocks across {@link Workers}; each output is a sequential float
 * sum over its row, so the thread count cannot change it.
 */
public final class RowDecodeMatMul implements MatMul {

    /** Rows per task: enough to amortise scheduling, small enough to balance 2-64 threads. */
    private static final int BLOCK = 16;

    private final Workers workers;
    private final ThreadLocal<float[]> rowBuffer = ThreadLocal.withInitial(() -> new float[0]);

    public RowDecodeMatMul(Workers workers) {
        this.workers = workers;
    }

    @Override
    public void multiply(TensorRef weight, float[] x, int tokens, float[] y) {
        long[] shape = weight.shape();
        int out = (int) shape[0];
        int in = (int) shape[1];
        int blocks = (out + BLOCK - 1) / BLOCK;
        workers.forEach(blocks, b -> {
            float[] row = buffer(in);
            int end = Math.min(out, (b + 1) * BLOCK);
            for (int o = b * BLOCK; o < end; o++) {
                Codecs.decode(weight.dtype(), weight.data(), (long) o * in, row, 0, in);
                for (int t = 0; t < tokens; t++) {
                    int xo = t * in;
                    float s = 0f;
                    for (int i = 0; i < in; i++) {
                        s += row[i] * x[xo + i];
                    }
                    y[t * out + o] = s;
                }
            }
        });
    }

    private float[] buffer(int n) {
        float[] b = rowBuffer.get();
        if (b.length < n) {
            b = new float[n];
            rowBuffer.set(b);
        }
        return b;
    }
}
