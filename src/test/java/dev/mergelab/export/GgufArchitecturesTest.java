package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufArray;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the export writes for the architectures beyond Llama, Qwen2, Gemma and Mixtral, checked without any peer (the
 * converter and llama.cpp judge the same files byte for byte in GgufConverterAgreementTest and GgufLlamaCppTest when
 * they are installed): the converter's distinctive keys, tensor names and shapes for each.
 */
class GgufArchitecturesTest {

    @TempDir
    Path tmp;

    private GgufFile export(String name, TinyExportModels.Spec spec, ExportType type) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve(name), spec, 5);
        Path out = tmp.resolve(name + "-" + type + ".gguf");
        GgufExport.export(model, out, type, 2, w -> { });
        return GgufFile.open(out);
    }

    private static Map<String, GgufValue> meta(GgufFile f) {
        return f.header().metadata();
    }

    private static float f32(GgufValue v) {
        return ((Number) v.value()).floatValue();
    }

    private static List<String> names(GgufFile f) {
        List<String> out = new ArrayList<>();
        for (TensorInfo t : f.tensors()) {
            out.add(t.name());
        }
        return out;
    }

    @Test
    void qwen3HasPerHeadQkNorms() throws Exception {
        try (GgufFile f = export("qwen3", TinyExportModels.qwen3(), ExportType.F32)) {
            assertEquals("qwen3", meta(f).get("general.architecture").asString());
            assertArrayEquals(new long[] {16}, f.ggufTensor("blk.1.attn_q_norm.weight").ne());
            assertArrayEquals(new long[] {16}, f.ggufTensor("blk.1.attn_k_norm.weight").ne());
            assertEquals(16, meta(f).get("qwen3.attention.key_length").asLong());
        }
    }

    @Test
    void qwen2MoeStacksExpertsAndKeepsTheSharedExpertGateAVectorWhenQuantized() throws Exception {
        try (GgufFile f = export("qwen2moe", TinyExportModels.qwen2Moe(), ExportType.F32)) {
            assertArrayEquals(new long[] {64, 128, 4}, f.ggufTensor("blk.0.ffn_gate_exps.weight").ne());
            assertArrayEquals(new long[] {128, 64, 4}, f.ggufTensor("blk.0.ffn_down_exps.weight").ne());
            assertArrayEquals(new long[] {64, 256}, f.ggufTensor("blk.0.ffn_up_shexp.weight").ne());
            assertArrayEquals(new long[] {64, 1}, f.ggufTensor("blk.0.ffn_gate_inp_shexp.weight").ne());
            assertEquals(128, meta(f).get("qwen2moe.expert_feed_forward_length").asLong());
            assertEquals(256, meta(f).get("qwen2moe.expert_shared_feed_forward_length").asLong());
            // the converter's order: the stacked experts when a layer's last one arrives (down, gate, up), then mlp.gate
            List<String> n = names(f);
            assertEquals(List.of("blk.0.ffn_down_exps.weight", "blk.0.ffn_gate_exps.weight", "blk.0.ffn_up_exps.weight",
                    "blk.0.ffn_gate_inp.weight"), n.subList(n.indexOf("blk.0.ffn_down_exps.weight"), n.indexOf("blk.0.ffn_down_exps.weight") + 4));
        }
        try (GgufFile q = export("qwen2moe-tied", TinyExportModels.qwen2Moe().tiedHead(), ExportType.Q8_0)) {
            // ggml_n_dims of {64, 1} is 1: llama_model_quantize leaves it F32 and writes it with one dimension
            assertArrayEquals(new long[] {64}, q.ggufTensor("blk.0.ffn_gate_inp_shexp.weight").ne());
            assertEquals(GgmlType.F32, q.ggufTensor("blk.0.ffn_gate_inp_shexp.weight").type());
            assertEquals(GgmlType.Q8_0, q.ggufTensor("blk.0.ffn_gate_shexp.weight").type());
        }
    }

    @Test
    void gemma2WritesSoftCappingAndTheWindowAndNamesItsFourNorms() throws Exception {
        try (GgufFile f = export("gemma2", TinyExportModels.gemma2(), ExportType.F32)) {
            assertEquals(0.5f, f32(meta(f).get("gemma2.attn_logit_softcapping")));
            assertEquals(1.5f, f32(meta(f).get("gemma2.final_logit_softcapping")));
            assertEquals(4, meta(f).get("gemma2.attention.sliding_window").asLong());
            List<String> n = names(f);
            for (String norm : List.of("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm")) {
                assertTrue(n.contains("blk.0." + norm + ".weight"), norm);
            }
            assertFalse(n.contains("output.weight"));
            assertFalse(meta(f).get("tokenizer.ggml.add_space_prefix").value().equals(true));
        }
    }

    @Test
    void gemma3WritesTheLocalRopeBaseAndCutsOutOfVocabularyEmbeddingRows() throws Exception {
        try (GgufFile f = export("gemma3", TinyExportModels.gemma3().with("oov_rows"), ExportType.F32)) {
            Map<String, GgufValue> m = meta(f);
            assertEquals(10000f, f32(m.get("gemma3.rope.freq_base")));
            assertEquals(1000f, f32(m.get("gemma3.rope.freq_base_swa")));
            assertEquals("linear", m.get("gemma3.rope.scaling.type").asString());
            assertEquals(4, m.get("gemma3.attention.sliding_window").asLong());
            assertNull(m.get("gemma3.final_logit_softcapping"), "null soft-capping is not written");
            // Gemma3Model keeps len(vocab) + len(added_tokens) rows of tokenizer.json: 32000 + 3 of 32064
            assertEquals(32003, f.ggufTensor("token_embd.weight").ne()[1]);
            assertArrayEquals(new long[] {16}, f.ggufTensor("blk.5.attn_k_norm.weight").ne());
        }
    }

    @Test
    void phi3KeepsFusedTensorsAndWritesLongRopeFactorsFirst() throws Exception {
        try (GgufFile f = export("phi3", TinyExportModels.phi3(), ExportType.F32)) {
            List<String> n = names(f);
            assertEquals(List.of("rope_factors_long.weight", "rope_factors_short.weight"), n.subList(0, 2));
            assertArrayEquals(new long[] {4}, f.ggufTensor("rope_factors_long.weight").ne());
            assertArrayEquals(new long[] {64, 128}, f.ggufTensor("blk.0.attn_qkv.weight").ne()); // (4 + 2 + 2) heads x 16
            assertArrayEquals(new long[] {64, 256}, f.ggufTensor("blk.0.ffn_up.weight").ne());
            assertFalse(n.contains("blk.0.ffn_gate.weight"));
            Map<String, GgufValue> m = meta(f);
            List<String> keys = new ArrayList<>(m.keySet());
            assertEquals("phi3.rope.scaling.attn_factor", keys.get(1), "written with the extra tensors, before general.*");
            assertEquals((float) Math.sqrt(1 + Math.log(4) / Math.log(256)), f32(m.get("phi3.rope.scaling.attn_factor")));
            assertEquals(8, m.get("phi3.rope.dimension_count").asLong()); // int(0.5 * 64) // 4
            assertEquals(256, m.get("phi3.rope.scaling.original_context_length").asLong());
            assertEquals(2047, m.get("phi3.attention.sliding_window").asLong());
            // the SentencePiece reader's vocabulary: padded to vocab_size, added special tokens are control tokens
            GgufArray tokens = m.get("tokenizer.ggml.tokens").asArray();
            GgufArray types = m.get("tokenizer.ggml.token_type").asArray();
            int n0 = 32000 + 11;
            assertEquals(n0 + 64, tokens.size());
            assertEquals("<|end|>", tokens.get(32007).asString());
            assertEquals(VocabExport.CONTROL, types.get(32007).asLong());
            assertEquals("[PAD" + n0 + "]", tokens.get(n0).asString());
            assertEquals(VocabExport.UNUSED, types.get(n0).asLong());
            assertEquals(f.ggufTensor("token_embd.weight").ne()[1], tokens.size());
        }
    }

    @Test
    void olmo2HasNoInputNormAndWholeProjectionQkNorms() throws Exception {
        try (GgufFile f = export("olmo2", TinyExportModels.olmo2(), ExportType.F32)) {
            List<String> n = names(f);
            assertFalse(n.contains("blk.0.attn_norm.weight"));
            assertTrue(n.contains("blk.0.post_attention_norm.weight"));
            assertTrue(n.contains("blk.0.post_ffw_norm.weight"));
            assertArrayEquals(new long[] {64}, f.ggufTensor("blk.0.attn_q_norm.weight").ne());
            assertArrayEquals(new long[] {32}, f.ggufTensor("blk.0.attn_k_norm.weight").ne());
        }
    }

    @Test
    void graniteWritesItsScalesAndIgnoresHeadDim() throws Exception {
        try (GgufFile f = export("granite", TinyExportModels.granite(), ExportType.F32)) {
            Map<String, GgufValue> m = meta(f);
            assertEquals(0.0625f, f32(m.get("granite.attention.scale")));
            assertEquals(12f, f32(m.get("granite.embedding_scale")));
            assertEquals(0.22f, f32(m.get("granite.residual_scale")));
            assertEquals(8f, f32(m.get("granite.logit_scale")));
            assertNull(m.get("granite.attention.key_length"), "GraniteModel drops head_dim before the keys");
            assertEquals(16, m.get("granite.rope.dimension_count").asLong());
        }
    }

    @Test
    void ggmlDimsIgnoresOuterOnes() {
        assertEquals(1, GgufExport.ggmlDims(new long[] {1, 64}));
        assertEquals(2, GgufExport.ggmlDims(new long[] {2, 64}));
        assertEquals(3, GgufExport.ggmlDims(new long[] {4, 1, 64}));
        assertEquals(1, GgufExport.ggmlDims(new long[] {64}));
    }
}
