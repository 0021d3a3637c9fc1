package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.gguf.GgufArchitecture;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Import of every architecture export writes beyond Llama/Mixtral, Qwen2 and Gemma: an F32 export opened as a model
 * has the source's tensors bit for bit, the config keys its forward pass reads, and the source folder's logits within
 * 2e-5·max(1, max|logit|); a Q8_0 export opens as exactly GgufFile's dequantization, found here by reading the
 * architecture's HF→GGUF table forwards.
 *
 * <p>What the source folders change so that a GGUF can carry them: Gemma 3's local RoPE base is 10000, llama.cpp's
 * value when the file has no rope.freq_base_swa (the converter writes none), which import writes into the config.
 * Phi-3's LongRoPE factors come back as the float32 values the factor tensors hold.
 */
class GgufImportArchitecturesTest {

    @TempDir
    Path tmp;

    /** Gemma 3 with llama.cpp's local RoPE base (the converter stores none; llama.cpp uses 10000). */
    static TinyExportModels.Spec gemma3() {
        TinyExportModels.Spec s = TinyExportModels.gemma3();
        return new TinyExportModels.Spec(s.architecture(), s.modelType(), s.tokenizer(), s.qkvBias(), s.experts(),
                s.extraConfig().replace("\"rope_local_base_freq\": 1000.0", "\"rope_local_base_freq\": 10000.0"), s.tokenizerConfig(),
                s.hidden(), s.ff(), s.layers(), s.tied(), s.layout());
    }

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of("qwen3", TinyExportModels.qwen3(), List.of("head_dim")),
                Arguments.of("qwen2moe", TinyExportModels.qwen2Moe(), List.of("num_experts", "num_experts_per_tok", "moe_intermediate_size",
                        "shared_expert_intermediate_size", "norm_topk_prob")),
                Arguments.of("qwen3moe", TinyExportModels.qwen3Moe(), List.of("num_experts", "num_experts_per_tok", "moe_intermediate_size",
                        "norm_topk_prob", "head_dim")),
                Arguments.of("gemma2", TinyExportModels.gemma2(), List.of("attn_logit_softcapping", "final_logit_softcapping",
                        "sliding_window", "query_pre_attn_scalar", "head_dim", "hidden_activation")),
                Arguments.of("gemma3", gemma3(), List.of("sliding_window", "sliding_window_pattern", "query_pre_attn_scalar",
                        "rope_local_base_freq", "rope_scaling", "head_dim", "rope_theta")),
                Arguments.of("phi3", TinyExportModels.phi3(), List.of("partial_rotary_factor", "original_max_position_embeddings",
                        "sliding_window")),
                Arguments.of("phi3-long", TinyExportModels.phi3LongFactors(), List.of("partial_rotary_factor",
                        "original_max_position_embeddings")),
                Arguments.of("olmo2", TinyExportModels.olmo2(), List.of("rms_norm_eps")),
                Arguments.of("granite", TinyExportModels.granite(), List.of("attention_multiplier", "embedding_multiplier",
                        "residual_multiplier", "logits_scaling")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void anF32ExportOpensAsTheSourceModel(String name, TinyExportModels.Spec spec, List<String> keys) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve(name), spec, 7);
        Path gguf = tmp.resolve(name + ".gguf");
        GgufExport.export(model, gguf, ExportType.F32, 2, w -> { });
        try (ModelSource src = ModelSource.open(model, "src"); ModelSource imp = ModelSource.open(gguf, "gguf")) {
            GgufImportSupport.sameTensors(src, imp);
            ModelConfig a = src.config(), b = imp.config();
            assertEquals(a.architectures(), b.architectures());
            assertEquals(a.modelType(), b.modelType());
            assertEquals(a.tieWordEmbeddings(), b.tieWordEmbeddings());
            for (String key : new String[] {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                    "num_key_value_heads", "vocab_size", "max_position_embeddings"}) {
                assertEquals(a.intValue(key), b.intValue(key), key);
            }
            for (String key : keys) {
                assertEquals(a.value(key), b.value(key), key);
            }
            if (name.startsWith("phi3")) {
                // LongRoPE factors come back as the float32 values the factor tensors hold
                JsonNode sa = a.value("rope_scaling").orElseThrow(() -> new AssertionError(a.toJson())), sb = b.value("rope_scaling").orElseThrow(() -> new AssertionError(b.toJson()));
                assertEquals("longrope", sb.get("type").asText());
                for (String f : List.of("long_factor", "short_factor")) {
                    assertEquals(sa.get(f).size(), sb.get(f).size(), f);
                    for (int i = 0; i < sa.get(f).size(); i++) {
                        assertEquals((float) sa.get(f).get(i).asDouble(), (float) sb.get(f).get(i).asDouble(), f + "[" + i + "]");
                    }
                }
            }
            GgufImportSupport.closeLogits(GgufImportSupport.logits(src), GgufImportSupport.logits(imp));
        }
    }

    /**
     * Gemma 3's converter cuts the embedding rows beyond the tokenizer (Gemma3Model.modify_tensors): import cannot
     * bring them back, so the model it opens has the rows the export kept (the tokenizer's size), the source's first
     * rows bit for bit, and that many as vocab_size (the GGUF's token list, padded to the source's vocab_size by the
     * SentencePiece reader, names [PAD] tokens past them).
     */
    @org.junit.jupiter.api.Test
    void gemma3EmbeddingRowsBeyondTheTokenizerAreGone() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("gemma3-oov"), gemma3().with("oov_rows"), 5);
        Path gguf = tmp.resolve("gemma3-oov.gguf");
        GgufExport.export(model, gguf, ExportType.F32, 2, w -> { });
        try (ModelSource src = ModelSource.open(model, "src"); ModelSource imp = ModelSource.open(gguf, "gguf")) {
            TensorRef a = src.tensor("model.embed_tokens.weight"), b = imp.tensor("model.embed_tokens.weight");
            long kept = b.shape()[0];
            assertTrue(kept < a.shape()[0], kept + " rows kept of " + a.shape()[0]);
            assertEquals(a.shape()[1], b.shape()[1]);
            float[] va = GgufImportSupport.values(a);
            assertArrayEquals(Arrays.copyOf(va, Math.toIntExact(kept * a.shape()[1])), GgufImportSupport.values(b));
            assertEquals(kept, imp.config().intValue("vocab_size").orElse(-1));
        }
    }

    static Stream<Arguments> quantized() {
        return Stream.of(Arguments.of("qwen3", TinyExportModels.qwen3()), Arguments.of("qwen2moe", TinyExportModels.qwen2Moe()),
                Arguments.of("qwen3moe", TinyExportModels.qwen3Moe()), Arguments.of("gemma2", TinyExportModels.gemma2()),
                Arguments.of("gemma3", gemma3()), Arguments.of("phi3", TinyExportModels.phi3()), Arguments.of("olmo2", TinyExportModels.olmo2()),
                Arguments.of("granite", TinyExportModels.granite()));
    }

    @ParameterizedTest(name = "{0} q8_0")
    @MethodSource("quantized")
    void aQ8ExportOpensAsItsDequantization(String name, TinyExportModels.Spec spec) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve(name), spec, 11);
        Path file = tmp.resolve(name + "-q8_0.gguf");
        GgufExport.export(model, file, ExportType.parse("q8_0"), 2, w -> { });
        GgufArchitecture arch;
        boolean q8 = false;
        try (ModelSource src = ModelSource.open(model, "src"); GgufFile gguf = GgufFile.open(file); ModelSource imp = ModelSource.open(file, "gguf")) {
            arch = GgufArchitecture.forHf(src.config().architectures());
            // the source's names and shapes (Qwen2-MoE's [1, n] shared-expert gate, stored as [n], included)
            assertEquals(new java.util.TreeSet<>(src.tensors().keySet()), new java.util.TreeSet<>(imp.tensors().keySet()));
            for (TensorRef t : imp.tensors().values()) {
                assertArrayEquals(src.tensor(t.name()).shape(), t.shape(), t.name());
                float[] expected = forwards(gguf, arch, t);
                assertArrayEquals(expected, GgufImportSupport.values(t), t.name());
                q8 |= gguf.ggufTensor(storedName(arch, t.name())).type() == GgmlType.Q8_0;
            }
            GgufImportSupport.logits(imp); // the forward pass runs on the quantized file
        }
        assertTrue(q8, "no Q8_0 tensor in " + file);
    }

    /** The values the HF tensor {@code t} must have: its GGUF tensor's dequantization, an expert sliced out, 1 taken off norms. */
    private static float[] forwards(GgufFile gguf, GgufArchitecture arch, TensorRef t) {
        String stored = storedName(arch, t.name());
        float[] all = gguf.readFloats(stored);
        int per = Math.toIntExact(t.numel());
        Matcher x = expertPattern(arch).matcher(t.name());
        float[] v = x.matches() ? Arrays.copyOfRange(all, Integer.parseInt(x.group(2)) * per, (Integer.parseInt(x.group(2)) + 1) * per) : all;
        assertEquals(per, v.length, t.name());
        if (arch.permuteQk() && (t.name().contains("q_proj") || t.name().contains("k_proj"))) {
            v = unpermuted(v, t.shape(), t.name().contains("q_proj") ? TinyExportModels.HEADS : TinyExportModels.KV_HEADS);
        }
        if (arch.addOneToSuffix() != null && t.name().endsWith(arch.addOneToSuffix())) {
            for (int i = 0; i < v.length; i++) {
                v[i] -= 1f;
            }
        }
        return v;
    }

    /** llama.cpp's LlamaModel.permute read forwards: stored row r holds Transformers' row (h, r % 2, r / 2) of head h. */
    private static float[] unpermuted(float[] stored, long[] shape, int heads) {
        int rows = Math.toIntExact(shape[0]);
        int len = shape.length == 1 ? 1 : Math.toIntExact(shape[1]);
        int half = rows / heads / 2;
        float[] out = new float[stored.length];
        for (int r = 0; r < rows; r++) {
            int h = r / (2 * half), rem = r % (2 * half);
            int from = h * 2 * half + (rem % 2) * half + rem / 2;
            System.arraycopy(stored, r * len, out, from * len, len);
        }
        return out;
    }

    /** The GGUF name of HF tensor {@code hf} by the architecture's table read forwards. */
    private static String storedName(GgufArchitecture arch, String hf) {
        Matcher x = expertPattern(arch).matcher(hf);
        if (x.matches()) {
            String layer = x.group(1), part = x.group(3);
            return arch.experts().stacked().get(part).replace("{bid}", layer);
        }
        String suffix = hf.substring(hf.lastIndexOf('.'));
        String base = hf.substring(0, hf.lastIndexOf('.'));
        Matcher l = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)").matcher(base);
        for (Map.Entry<String, String> e : arch.tensors().entrySet()) {
            if (l.matches() && e.getKey().equals("model.layers.{bid}." + l.group(2))) {
                return e.getValue().replace("{bid}", l.group(1)) + suffix;
            }
            if (e.getKey().equals(base)) {
                return e.getValue() + suffix;
            }
        }
        throw new AssertionError("no GGUF name for " + hf);
    }

    private static Pattern expertPattern(GgufArchitecture arch) {
        if (arch.experts() == null) {
            return Pattern.compile("(?!)(.)(.)(.)");
        }
        String s = Pattern.quote(arch.experts().source());
        s = s.replace("{bid}", "\\E(\\d+)\\Q").replace("{xid}", "\\E(\\d+)\\Q").replace("{part}", "\\E([a-z_0-9]+)\\Q");
        return Pattern.compile(s);
    }
}
