package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** mergekit's default embedding for rows a parent lacks, written out by hand for each branch. */
class VocabularyRowsTest {

    /** A job whose inputs have {@code rows[i]} rows of 2 columns; only shapes and the base flag matter. */
    static TensorJob job(long vocabRows, int base, int... rows) {
        List<PlannedInput> ins = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            TensorInfo info = new TensorInfo("model.embed_tokens.weight", DType.F32, new long[] {rows[i], 2}, 0, rows[i] * 8L);
            ins.add(new PlannedInput("m" + i, new TensorRef(null, info), i == base, Map.of()));
        }
        return new TensorJob("model.embed_tokens.weight", "linear", ins, Map.of(), new long[] {vocabRows, 2}, DType.F32, true, vocabRows, false);
    }

    @Test
    void onlyHolderThenBaseThenZero() {
        float[] base = {1, 1, 2, 2, 3, 3};
        float[] a = {10, 10, 20, 20, 30, 30, 40, 40};
        float[] b = {-1, -1, -2, -2};
        float[][] out = VocabularyRows.resize(job(5, 0, 3, 4, 2), new float[][] {base, a, b});
        // row 2: base and a have it, b does not -> the base's row; row 3: only a -> a's; row 4: nobody -> 0
        assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3, 40, 40, 0, 0}, out[0]);
        assertArrayEquals(new float[] {10, 10, 20, 20, 30, 30, 40, 40, 0, 0}, out[1]);
        assertArrayEquals(new float[] {-1, -1, -2, -2, 3, 3, 40, 40, 0, 0}, out[2]);
    }

    @Test
    void severalHoldersWithoutTheBaseGiveTheirMean() {
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] y = {1, 2, 3, 4, 7, 10};
        float[] z = {0, 0, 0, 0};
        float[][] out = VocabularyRows.resize(job(3, -1, 3, 3, 2), new float[][] {x, y, z});
        assertArrayEquals(x, out[0]);
        assertArrayEquals(y, out[1]);
        assertArrayEquals(new float[] {0, 0, 0, 0, 6, 8}, out[2]);
    }

    @Test
    void rowsPastTheOutputVocabularyAreDropped() {
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] y = {7, 8, 9, 10};
        float[][] out = VocabularyRows.resize(job(1, 0, 3, 2), new float[][] {x, y});
        assertArrayEquals(new float[] {1, 2}, out[0]);
        assertArrayEquals(new float[] {7, 8}, out[1]);
    }
}
