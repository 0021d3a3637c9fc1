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
 */
final class VocabularyRows {

    private VocabularyRows() {
    }

    /** The inputs resized to {@code job.vocabRows()} rows; inputs already that size are returned as they are. */
    static float[][] resize(TensorJob job, float[][] data) {
        int rows = Math.toIntExact(job.vocabRows());
        int n = data.length;
        int[] have = new int[n];
        int cols = -1;
        for (int i = 0; i < n; i++) {
            long[] s = job.inputs().get(i).ref().shape();
            if (s.length != 2) {
                return data;
            }
            have[i] = Math.toIntExact(s[0]);
            cols = Math.toIntExact(s[1]);
        }
        int base = -1;
        for (int i = 0; i < n; i++) {
            if (job.inputs().get(i).isBase()) {
                base = i;
            }
        }
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            // Rows this input has (up to the output vocabulary) are kept; the rest are filled below.
            out[i] = Arrays.copyOf(data[i], rows * cols);
        }
        float[] fill = new float[cols];
        for (int r = 0; r < rows; r++) {
            int holders = 0;
            int last = -1;
            for (int i = 0; i < n; i++) {
                if (have[i] > r) {
                    holders++;
                    last = i;
                }
            }
            if (holders == n) {
                continue;
            }
            if (holders == 0) {
                Arrays.fill(fill, 0f); // no parent has the token: a zero embedding, as upstream
            } else if (holders == 1) {
                System.arraycopy(data[last], r * cols, fill, 0, cols);
            } else if (base >= 0 && have[base] > r) {
                System.arraycopy(data[base], r * cols, fill, 0, cols);
            } else {
                for (int c = 0; c < cols; c++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        if (have[i] > r) {
                            s += data[i][r * cols + c];
                        }
                    }
                    fill[c] = (float) (s / holders);
                }
            }
            for (int i = 0; i < n; i++) {
                if (have[i] <= r) {
                    System.arraycopy(fill, 0, out[i], r * cols, cols);
                }
            }
        }
        return out;
    }
}
