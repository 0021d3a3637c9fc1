package dev.mergelab.method;

/**
 * Drives a {@link ChunkedMerge} over in-memory arrays exactly as the engine drives it over mmapped
 * inputs: every statistics pass over the row chunks in order, then the combine pass. The whole-tensor
 * {@link MergeMethod#merge} of every method goes through here, so there is one implementation per
 * method and the chunk size is a parameter of the tests.
 */
public final class Chunking {

    /**
     * Elements per input in one chunk of a whole-tensor merge: 64 Ki floats (256 KiB) keeps a chunk of
     * each input plus the methods' per-chunk scratch in L2 while the passes run.
     */
    public static final int DEFAULT_CHUNK_ELEMENTS = 1 << 16;

    private Chunking() {
    }

    /** Length of a row (the last dimension); a 1-D tensor is one row, a scalar one element. */
    public static int rowLength(long[] shape) {
        if (shape.length <= 1) {
            return Math.toIntExact(Shapes.numel(shape));
        }
        return Math.toIntExact(shape[shape.length - 1]);
    }

    /** Rows of the shape (1 for a 1-D tensor or a scalar). */
    public static long rows(long[] shape) {
        int len = rowLength(shape);
        return len == 0 ? 0 : Shapes.numel(shape) / len;
    }

    /**
     * {@code method.merge(job)} with chunks of {@code chunkRows} rows ({@code ≤ 0}: the default of about
     * {@value #DEFAULT_CHUNK_ELEMENTS} elements). Inputs are cut to the output shape first; an input that
     * cannot be cut (one the method skips with a warning) is passed as null.
     */
    public static float[] merge(ChunkedMethod method, TensorMerge job, int chunkRows) {
        ChunkedMerge plan = method.plan(job);
        long[] shape = method.outputShape(job);
        float[][] inputs = new float[job.inputs().size()][];
        for (int i = 0; i < inputs.length; i++) {
            TensorInput x = job.inputs().get(i);
            inputs[i] = fits(x.shape(), shape) ? Shapes.cut(x.data(), x.shape(), shape) : null;
        }
        int rows;
        if (method.wholeTensorOnly(job)) {
            rows = Integer.MAX_VALUE;
        } else if (chunkRows > 0) {
            rows = chunkRows;
        } else {
            rows = Math.max(1, DEFAULT_CHUNK_ELEMENTS / Math.max(1, rowLength(shape)));
        }
        return run(plan, inputs, shape, rows);
    }

    private static boolean fits(long[] shape, long[] target) {
        if (shape.length != target.length) {
            return false;
        }
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < target[d]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs {@code m} over {@code inputs} (whole arrays of {@code shape}, null where the merge ignores the
     * input) in chunks of {@code chunkRows} rows; a 1-D tensor is always one chunk. A single chunk passes
     * the arrays themselves; otherwise each chunk is copied into reused buffers, as the engine decodes.
     */
    public static float[] run(ChunkedMerge m, float[][] inputs, long[] shape, int chunkRows) {
        int n = Math.toIntExact(Shapes.numel(shape));
        int rowLength = rowLength(shape);
        int rows = n == 0 ? 0 : n / rowLength;
        float[] out = new float[n];
        int step = Math.max(1, Math.min(chunkRows, rows));
        if (step >= rows) {
            for (int pass = 0; pass < m.statisticPasses(); pass++) {
                if (rows > 0) {
                    m.observe(pass, 0, rows, inputs);
                }
                m.endPass(pass);
            }
            if (rows > 0) {
                m.combine(0, rows, inputs, out);
            }
            return out;
        }
        float[][] buf = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            buf[i] = inputs[i] == null ? null : new float[step * rowLength];
        }
        float[] outBuf = new float[step * rowLength];
        for (int pass = 0; pass <= m.statisticPasses(); pass++) {
            boolean combine = pass == m.statisticPasses();
            for (int r = 0; r < rows; r += step) {
                int count = Math.min(step, rows - r);
                int from = r * rowLength;
                int len = count * rowLength;
                for (int i = 0; i < inputs.length; i++) {
                    if (inputs[i] != null) {
                        System.arraycopy(inputs[i], from, buf[i], 0, len);
                    }
                }
                if (combine) {
                    m.combine(r, count, buf, outBuf);
                    System.arraycopy(outBuf, 0, out, from, len);
                } else {
                    m.observe(pass, r, count, buf);
                }
            }
            if (!combine) {
                m.endPass(pass);
            }
        }
        return out;
    }
}
