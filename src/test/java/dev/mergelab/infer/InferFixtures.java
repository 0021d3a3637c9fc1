package dev.mergelab.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tiny models of {@code src/test/resources/infer/} (made by {@code scripts/infer-ref/reference.py}): their
 * token ids and the float64 reference logits.
 */
final class InferFixtures {

    static final Path ROOT = Path.of("src/test/resources/infer");

    /** Every case: name and what it exercises is in reference.py's main(). */
    static final List<String> CASES = List.of("llama", "llama-bias", "llama-linear", "llama-dynamic", "llama-llama3",
            "llama-yarn", "llama-longrope", "llama-v5-params", "mistral", "qwen2", "qwen2-window", "qwen3", "gemma",
            "gemma2", "gemma3", "phi3", "olmo2", "granite", "mixtral", "qwen2-moe", "qwen3-moe");

    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private InferFixtures() {
    }

    static int[][] ids(String name) throws IOException {
        int[][] ids = new ObjectMapper().readValue(ROOT.resolve(name).resolve("ids.json").toFile(), int[][].class);
        return ids;
    }

    /** The reference logits of each sequence, [len][vocab] flattened. */
    static List<double[]> expected(String name) {
        List<double[]> out = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(ROOT.resolve(name).resolve("expected.safetensors"))) {
            for (int i = 0; ; i++) {
                TensorInfo t;
                try {
                    t = f.tensor("logits." + i);
                } catch (RuntimeException missing) {
                    break;
                }
                if (t == null) {
                    break;
                }
                MemorySegment s = f.data(t);
                double[] v = new double[(int) t.numel()];
                for (int j = 0; j < v.length; j++) {
                    v[j] = s.getAtIndex(F64, j);
                }
                out.add(v);
            }
        }
        return out;
    }

    /** The bar: |got - ref| <= 2e-5 * max(1, max|ref|) for every logit; returns the worst ratio to it. */
    static double worstRatio(float[] got, double[] ref) {
        double max = 1;
        for (double r : ref) {
            max = Math.max(max, Math.abs(r));
        }
        double bound = 2e-5 * max;
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - ref[i]) / bound);
        }
        return worst;
    }
}
