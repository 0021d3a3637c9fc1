package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.format.gguf.GgmlCodec;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.gguf.GgufModelFile;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Quantized GGUF files (Q8_0 and Q4_K_M, with rows of 256 so the K-quants are used) open as models whose tensors
 * are exactly the file's own dequantization ({@link GgufFile#readFloats}), with this test's own name table, q/k
 * rows put back by llama.cpp's permutation read forwards, and experts sliced out of the stacked tensors; and the
 * forward pass on the file gives the logits of its dequantized weights written as a float32 folder. Tensors whose rows
 * lie in the file in order say so ({@link GgufModelFile#inPlaceType}), and their bytes are exactly their blocks.
 */
class GgufImportQuantizedTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of("llama", "q8_0"), Arguments.of("llama", "q4_k_m"), Arguments.of("mixtral", "q4_k_m"));
    }

    private static final Map<String, String> LAYER = Map.ofEntries(Map.entry("input_layernorm", "attn_norm"),
            Map.entry("self_attn.q_proj", "attn_q"), Map.entry("self_attn.k_proj", "attn_k"), Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"), Map.entry("post_attention_layernorm", "ffn_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"), Map.entry("mlp.up_proj", "ffn_up"), Map.entry("mlp.down_proj", "ffn_down"),
            Map.entry("block_sparse_moe.gate", "ffn_gate_inp"));
    private static final Map<String, String> EXPERT = Map.of("w1", "ffn_gate_exps", "w2", "ffn_down_exps", "w3", "ffn_up_exps");
    private static final Pattern LAYER_NAME = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Pattern EXPERT_NAME = Pattern.compile("model\\.layers\\.(\\d+)\\.block_sparse_moe\\.experts\\.(\\d+)\\.(w\\d)\\.weight");

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aQuantizedFileOpensAsItsDequantization(String arch, String type) throws Exception {
        TinyExportModels.Spec spec = (arch.equals("llama") ? TinyExportModels.llama() : TinyExportModels.mixtral()).sized(256, 256, 1);
        Path model = TinyExportModels.write(tmp.resolve(arch), spec, 21);
        Path file = tmp.resolve(arch + "-" + type + ".gguf");
        GgufExport.export(model, file, ExportType.parse(type), 2, w -> { });
        Set<GgmlType> seen = new HashSet<>();
        try (GgufFile gguf = GgufFile.open(file); ModelSource imp = ModelSource.open(file, "gguf")) {
            try (ModelSource src = ModelSource.open(model, "src")) {
                assertEquals(new java.util.TreeSet<>(src.tensors().keySet()), new java.util.TreeSet<>(imp.tensors().keySet()));
            }
            for (TensorRef t : imp.tensors().values()) {
                String name = t.name();
                float[] expected;
                Matcher e = EXPERT_NAME.matcher(name);
                Matcher l = LAYER_NAME.matcher(name);
                if (e.matches()) {
                    String g = "blk." + e.group(1) + "." + EXPERT.get(e.group(3)) + ".weight";
                    seen.add(gguf.ggufTensor(g).type());
                    float[] all = gguf.readFloats(g);
                    int per = Math.toIntExact(t.numel());
                    int x = Integer.parseInt(e.group(2));
                    expected = Arrays.copyOfRange(all, x * per, (x + 1) * per);
                } else {
                    String g = switch (name) {
                        case "model.embed_tokens.weight" -> "token_embd.weight";
                        case "lm_head.weight" -> "output.weight";
                        case "model.norm.weight" -> "output_norm.weight";
                        default -> {
                            assertTrue(l.matches(), name);
                            yield "blk." + l.group(1) + "." + LAYER.get(l.group(2)) + "." + l.group(3);
                        }
                    };
                    seen.add(gguf.ggufTensor(g).type());
                    expected = gguf.readFloats(g);
                    if (name.contains("q_proj")) {
                        expected = unpermuted(expected, t.shape(), TinyExportModels.HEADS);
                    } else if (name.contains("k_proj")) {
                        expected = unpermuted(expected, t.shape(), TinyExportModels.KV_HEADS);
                    }
                }
                assertArrayEquals(expected, GgufImportSupport.values(t), name);
                // rows in order are readable in place: the view's bytes are exactly its blocks (an expert's slice included)
                GgmlType inPlace = ((GgufModelFile) t.file()).inPlaceType(t.info());
                if (name.contains("q_proj") || name.contains("k_proj")) {
                    assertEquals(null, inPlace, name);
                } else {
                    float[] fromBytes = new float[Math.toIntExact(t.numel())];
                    GgmlCodec.decode(inPlace, t.data().toArray(ValueLayout.JAVA_BYTE), 0, fromBytes, 0, fromBytes.length);
                    assertArrayEquals(expected, fromBytes, name);
                }
            }
        }
        assertTrue(seen.contains(type.equals("q8_0") ? GgmlType.Q8_0 : GgmlType.Q4_K), seen.toString());
        Path folder = tmp.resolve(arch + "-" + type + "-f32");
        assertEquals(0, GgufImportCommandsTest.cli("export", "safetensors", file.toString(), folder.toString(), "--dtype", "float32").code());
        try (ModelSource imp = ModelSource.open(file, "gguf"); ModelSource dequantized = ModelSource.open(folder, "f32")) {
            GgufImportSupport.sameTensors(dequantized, imp);
            GgufImportSupport.closeLogits(GgufImportSupport.logits(dequantized), GgufImportSupport.logits(imp));
        }
    }

    /** llama.cpp's LlamaModel.permute read forwards: stored row r holds Transformers' row (h, r % 2, r / 2) of head h. */
    private static float[] unpermuted(float[] stored, long[] shape, int heads) {
        int rows = Math.toIntExact(shape[0]);
        int len = Math.toIntExact(shape[1]);
        int half = rows / heads / 2;
        float[] out = new float[stored.length];
        for (int r = 0; r < rows; r++) {
            int h = r / (2 * half), rem = r % (2 * half);
            int from = h * 2 * half + (rem % 2) * half + rem / 2;
            System.arraycopy(stored, r * len, out, from * len, len);
        }
        return out;
    }
}
