package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightSource;
import java.util.TreeSet;

/** Shared checks of the GGUF import tests: tensors equal bit for bit, logits equal within float tolerance. */
final class GgufImportSupport {

    /** Token ids every tiny vocabulary holds. */
    static final int[] IDS = {1, 415, 2936, 9060, 285, 1142, 754, 28705, 13, 42};

    private GgufImportSupport() {
    }

    static float[] values(TensorRef t) {
        float[] v = new float[Math.toIntExact(t.numel())];
        t.decodeInto(v);
        return v;
    }

    /** Same names, shapes and float32 values, bit for bit. */
    static void sameTensors(ModelSource expected, ModelSource actual) {
        assertEquals(new TreeSet<>(expected.tensors().keySet()), new TreeSet<>(actual.tensors().keySet()));
        for (TensorRef e : expected.tensors().values()) {
            TensorRef a = actual.tensor(e.name());
            assertArrayEquals(e.shape(), a.shape(), e.name());
            assertArrayEquals(values(e), values(a), e.name());
        }
    }

    static float[] logits(WeightSource source) {
        try (Workers w = new Workers(2)) {
            Session s = TransformerModel.load(source, w).newSession();
            return s.forward(IDS);
        }
    }

    /** Within 2e-5·max(1, max|logit|) element by element. */
    static void closeLogits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        float max = 1;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        double tol = 2e-5 * max, worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= tol, "logits differ by " + worst + " > " + tol);
    }
}
