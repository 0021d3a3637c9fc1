package dev.mergelab.engine;

import java.util.Arrays;

/**
 * Brings every input of an embedding job (embed_tokens, lm_head) to the output vocabulary's row count
 * when the recipe names a tokenizer source, as mergekit's tokenizer-aware embedding merge does:
 *
 * <ul>
 *   <li>rows past the output vocabulary are dropped;
 *   <li>a row a model lacks is filled with mergekit's default embedding for that token: the row of the
 *       only model that has it; else the base model's row when the base has it; else the mean of the
 *       rows of the models that have it.
 * </ul>
 *
 * <p>So a token only one parent knows (a fine-tune's added chat tokens) gets that parent's embedding in
 * every input, and the merge keeps it. Unlike mergekit, which matches tokens by their strings, rows are
 * matched by token id: the parents' vocabularies must agree on the ids they share (tokens added at the
 * end), which the planner states in its warning.
 *
 * <p>A row's fill depends only on the same row of the other inputs, so {@link #fill} works on any row
 * range: {@link ChunkReader} fills each row chunk as it decodes it, and heap use does not grow with the
 * vocabulary (Llama-3 and Gemma have 128K-262K rows).
 */
final class VocabularyRows {

    /** Rows each input has. */
    private final long[] held;
    /** The base input's index, or -1. */
    private final int base;
    private final int cols;

    private VocabularyRows(long[] held, int base, int cols) {
        this.held = held;
        this.base = base;
        this.cols = cols;
    }

    /** The row layout of a job's inputs, or null when an input is not a matrix (nothing to resize). */
    static VocabularyRows of(TensorJob job) {
        int n = job.inputs().size();
        long[] held = new long[n];
        int cols = -1;
        int base = -1;
        for (int i = 0; i < n; i++) {
            PlannedInput in = job.inputs().get(i);
            long[] s = in.ref().shape();
            if (s.length != 2) {
                return null;
            }
            held[i] = s[0];
            cols = Math.toIntExact(s[1]);
            if (in.isBase()) {
                base = i;
            }
        }
        return new VocabularyRows(held, base, cols);
    }

    /** Rows input {@code i} has of its own. */
    long held(int i) {
        return held[i];
    }

    /** The inputs resized to {@code job.vocabRows()} rows; inputs that are not matrices are returned as they are. */
    static float[][] resize(TensorJob job, float[][] data) {
        VocabularyRows v = of(job);
        if (v == null) {
            return data;
        }
        int rows = Math.toIntExact(job.vocabRows());
        float[][] out = new float[data.length][];
        for (int i = 0; i < data.length; i++) {
            // Rows this input has (up to the output vocabulary) are kept; the rest are filled below.
            out[i] = Arrays.copyOf(data[i], rows * v.cols);
        }
        v.fill(out, 0, rows);
        return out;
    }

    /**
     * Fills, in {@code rows[i]} holding the rows {@code [first, first + n)} of every input, each row input
     * i lacks. The rows the inputs have must already be there; they are only read.
     */
    void fill(float[][] rows, long first, int n) {
        int inputs = held.length;
        float[] fill = new float[cols];
        for (int k = 0; k < n; k++) {
            long r = first + k;
            int at = k * cols;
            int holders = 0;
            int last = -1;
            for (int i = 0; i < inputs; i++) {
                if (held[i] > r) {
                    holders++;
                    last = i;
                }
            }
            if (holders == inputs) {
                continue;
            }
            if (holders == 0) {
                Arrays.fill(fill, 0f); // no parent has the token: a zero embedding, as upstream
            } else if (holders == 1) {
                System.arraycopy(rows[last], at, fill, 0, cols);
            } else if (base >= 0 && held[base] > r) {
                System.arraycopy(rows[base], at, fill, 0, cols);
            } else {
                for (int c = 0; c < cols; c++) {
                    double s = 0;
                    for (int i = 0; i < inputs; i++) {
                        if (held[i] > r) {
                            s += rows[i][at + c];
                        }
                    }
                    fill[c] = (float) (s / holders);
                }
            }
            for (int i = 0; i < inputs; i++) {
                if (held[i] <= r) {
                    System.arraycopy(fill, 0, rows[i], at, cols);
                }
            }
        }
    }
}
