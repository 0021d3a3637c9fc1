package dev.mergelab.lora;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.TensorRef;

/** Small helpers on LoRA factors: decoding whole (small) tensors and transposing them. */
final class Factors {

    private Factors() {
    }

    static float[] decode(TensorRef ref) {
        long n = ref.numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw MergeLabException.input("tensor '" + ref.name() + "' has " + n + " elements, too many for one array", null);
        }
        float[] v = new float[(int) n];
        ref.decodeInto(v);
        return v;
    }

    /** The transpose of a rows×cols row-major matrix. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = m[i * cols + j];
            }
        }
        return t;
    }
}
