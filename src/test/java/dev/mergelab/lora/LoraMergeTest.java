package dev.mergelab.lora;

import static dev.mergelab.lora.LoraTestSupport.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lora merge} on two hand-written rank-2 adapters of a 3×4 layer, checked against values worked out
 * by hand from PEFT's add_weighted_adapter rules. Adapter 1 has scale 1 (alpha 2), adapter 2 scale 2
 * (alpha 4); weights are 1 and −0.5, so w·s is +1 and −1.
 */
class LoraMergeTest {

    @TempDir
    static Path tmp;

    static final float[] A1 = {1, 0, 2, 0, 0, 1, 0, -1};
    static final float[] B1 = {1, 0, 0, 1.5f, 1.2f, 1.1f};
    static final float[] A2 = {.5f, .5f, 0, 0, 0, 0, 1, 1};
    static final float[] B2 = {2, 0, 0, 1, 0, -1};

    @BeforeAll
    static void files() throws Exception {
        write(tmp.resolve("base.safetensors"), Map.of("lin.weight", new float[12]), Map.of("lin.weight", new long[] {3, 4}));
        adapter(tmp.resolve("a1"), A1, B1, 2);
        adapter(tmp.resolve("a2"), A2, B2, 4);
    }

    static void adapter(Path dir, float[] a, float[] b, int alpha) throws Exception {
        Files.createDirectories(dir);
        write(dir.resolve("adapter_model.safetensors"), Map.of("base_model.model.lin.lora_A.weight", a, "base_model.model.lin.lora_B.weight", b),
                Map.of("base_model.model.lin.lora_A.weight", new long[] {2, 4}, "base_model.model.lin.lora_B.weight", new long[] {3, 2}));
        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": " + alpha + ", \"target_modules\": [\"lin\"]}");
    }

    static void write(Path file, Map<String, float[]> values, Map<String, long[]> shapes) throws Exception {
        List<SafetensorsWriter.Entry> entries = values.keySet().stream().sorted()
                .map(n -> new SafetensorsWriter.Entry(n, DType.F32, shapes.get(n))).toList();
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                float[] v = values.get(e.name());
                ByteBuffer buf = ByteBuffer.allocate(4 * v.length);
                Codecs.encode(DType.F32, v, 0, v.length, MemorySegment.ofBuffer(buf), 0);
                w.write(e.name(), 0, buf);
            }
            w.finish(false);
        }
    }

    record Merged(float[] a, float[] b, long[] aShape, JsonNode config) {
    }

    static Merged merge(String name, String extra) throws Exception {
        Path recipe = tmp.resolve(name + ".yml");
        Files.writeString(recipe, "base_model: " + tmp.resolve("base.safetensors") + "\n" + extra + "\nadapters:\n  - adapter: "
                + tmp.resolve("a1") + "\n    weight: 1\n  - adapter: " + tmp.resolve("a2") + "\n    weight: -0.5\n");
        Path out = tmp.resolve("out-" + name);
        LoraTestSupport.Run r = cli("lora", "merge", recipe.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            return new Merged(f.readFloats("base_model.model.lin.lora_A.weight"), f.readFloats("base_model.model.lin.lora_B.weight"),
                    f.tensor("base_model.model.lin.lora_A.weight").shape(),
                    new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile()));
        }
    }

    static float[] product(float[] b, float[] a, int r) {
        float[] w = new float[12];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                for (int c = 0; c < r; c++) {
                    w[i * 4 + j] += b[i * r + c] * a[c * 4 + j];
                }
            }
        }
        return w;
    }

    @Test
    void linearPutsTheSignOnA() throws Exception {
        Merged m = merge("linear", "combination_type: linear");
        // w·s = +1 and −1: A = A1 − A2, B = B1 + B2.
        assertArrayEquals(new float[] {.5f, -.5f, 2, 0, 0, 1, -1, -2}, m.a(), 1e-6f);
        assertArrayEquals(new float[] {3, 0, 0, 2.5f, 1.2f, .1f}, m.b(), 1e-6f);
        assertEquals(2, m.config().get("r").asInt());
        assertEquals(2, m.config().get("lora_alpha").asInt());
        assertEquals(false, m.config().get("use_rslora").asBoolean());
    }

    @Test
    void catStacksAlongTheRank() throws Exception {
        Merged m = merge("cat", "combination_type: cat");
        assertArrayEquals(new long[] {4, 4}, m.aShape());
        float[] a = new float[16];
        System.arraycopy(A1, 0, a, 0, 8);
        for (int i = 0; i < 8; i++) {
            a[8 + i] = -A2[i]; // w·s = −0.5·2
        }
        assertArrayEquals(a, m.a(), 1e-6f);
        assertArrayEquals(new float[] {1, 0, 2, 0, 0, 1.5f, 0, 1, 1.2f, 1.1f, 0, -1}, m.b(), 1e-6f);
        assertEquals(4, m.config().get("r").asInt());
    }

    @Test
    void tiesElectsOnTheUnweightedFactors() throws Exception {
        Merged m = merge("ties", "combination_type: ties\ndensity: 0.5");
        // A: both keep their 4 non-zeros; signs all +; agreeing entries averaged with weights ±1.
        assertArrayEquals(new float[] {.25f, -.5f, 2, 0, 0, 1, -1, -1}, m.a(), 1e-6f);
        // B: B1 keeps 1.5, 1.2, 1.1; B2 keeps 2, 1, −1 (−1 disagrees with the elected +).
        assertArrayEquals(new float[] {2, 0, 0, 1.25f, 1.2f, 1.1f}, m.b(), 1e-6f);
    }

    @Test
    void magnitudePrunePrunesEachFactorThenSums() throws Exception {
        Merged m = merge("mp", "combination_type: magnitude_prune\ndensity: 0.5");
        assertArrayEquals(new float[] {.5f, -.5f, 2, 0, 0, 1, -1, -2}, m.a(), 1e-6f);
        assertArrayEquals(new float[] {2, 0, 0, 2.5f, 1.2f, .1f}, m.b(), 1e-6f);
    }

    @Test
    void svdRefactorisesTheWeightedDeltaScaledOnce() throws Exception {
        Merged m = merge("svd", "combination_type: svd\nsvd_rank: 3");
        assertArrayEquals(new long[] {3, 4}, m.aShape());
        // ΔW = Σ w_i·(s_i B_i A_i) = B1A1 − 0.5·2·B2A2, exactly representable at rank 3 (PEFT 0.21 scales
        // once here; PeftParityTest checks it against PEFT's own output).
        float[] d1 = product(B1, A1, 2);
        float[] d2 = product(B2, A2, 2);
        float[] want = new float[12];
        for (int i = 0; i < 12; i++) {
            want[i] = d1[i] - d2[i];
        }
        assertArrayEquals(want, product(m.b(), m.a(), 3), 1e-5f);
        // B = U·S and A = Vh: A's rows are orthonormal.
        for (int p = 0; p < 3; p++) {
            for (int q = 0; q < 3; q++) {
                double dot = 0;
                for (int j = 0; j < 4; j++) {
                    dot += m.a()[p * 4 + j] * m.a()[q * 4 + j];
                }
                assertEquals(p == q ? 1 : 0, dot, 1e-5);
            }
        }
    }

    @Test
    void svdClampCutsBothFactorsAtTheQuantile() throws Exception {
        Merged plain = merge("svd2", "combination_type: svd\nsvd_rank: 2");
        Merged clamped = merge("svd2c", "combination_type: svd\nsvd_rank: 2\nsvd_clamp: 0.8");
        float hi = Quantile.linear(plain.b(), plain.a(), 0.8);
        for (int i = 0; i < plain.a().length; i++) {
            assertEquals(Math.max(-hi, Math.min(hi, plain.a()[i])), clamped.a()[i], 1e-6f);
        }
        for (int i = 0; i < plain.b().length; i++) {
            assertEquals(Math.max(-hi, Math.min(hi, plain.b()[i])), clamped.b()[i], 1e-6f);
        }
        assertTrue(Arrays.equals(plain.a(), clamped.a()) == false || Arrays.equals(plain.b(), clamped.b()) == false);
    }

    @Test
    void quantileFollowsTorchLinearInterpolation() {
        // torch.quantile([1, 2, 3, 4], 0.5) = 2.5; 0.9 → 3.7.
        assertEquals(2.5f, Quantile.linear(new float[] {4, 1}, new float[] {3, 2}, 0.5), 1e-6f);
        assertEquals(3.7f, Quantile.linear(new float[] {4, 1}, new float[] {3, 2}, 0.9), 1e-6f);
    }

    @Test
    void badRecipesAreOneLineInputErrors() throws Exception {
        for (String body : List.of("combination_type: nope", "combination_type: ties", "combination_type: linear\nbogus: 1",
                "combination_type: svd\nsvd_clamp: 2")) {
            Path recipe = tmp.resolve("bad.yml");
            Files.writeString(recipe, "base_model: " + tmp.resolve("base.safetensors") + "\n" + body + "\nadapters:\n  - adapter: "
                    + tmp.resolve("a1") + "\n    weight: 1\n");
            LoraTestSupport.Run r = cli("lora", "merge", recipe.toString(), tmp.resolve("never").toString());
            assertEquals(2, r.code(), body + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }
}
