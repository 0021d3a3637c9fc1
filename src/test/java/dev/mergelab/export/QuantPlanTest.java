package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mergelab.format.gguf.GgmlType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The preset mixtures of llama-quant.cpp as QuantPlan models them, pinned on examples worked out from
 * llama_tensor_get_type_impl (GgufLlamaCppTest holds the whole files to llama_model_quantize where llama.cpp is
 * available; these run everywhere).
 */
class QuantPlanTest {

    /** An n-layer Llama in loader order, rows of {@code width}. */
    private static List<QuantPlan.In> llama(int layers, long width) {
        List<String> names = new ArrayList<>(List.of("output.weight", "output_norm.weight", "token_embd.weight"));
        for (int l = 0; l < layers; l++) {
            for (String t : List.of("attn_k", "attn_norm", "attn_output", "attn_q", "attn_v", "ffn_down", "ffn_gate", "ffn_norm", "ffn_up")) {
                names.add("blk." + l + "." + t + ".weight");
            }
        }
        names.sort(QuantPlan.LOADER_ORDER);
        List<QuantPlan.In> out = new ArrayList<>();
        for (String n : names) {
            out.add(new QuantPlan.In(n, width, n.contains("norm") ? 1 : 2, GgmlType.F32));
        }
        return out;
    }

    private static Map<String, GgmlType> types(List<QuantPlan.In> in, ExportType t, QuantPlan.Model m) {
        List<GgmlType> types = QuantPlan.types(in, t, m);
        Map<String, GgmlType> out = new LinkedHashMap<>();
        for (int i = 0; i < in.size(); i++) {
            out.put(in.get(i).name(), types.get(i));
        }
        return out;
    }

    @Test
    void loaderOrderPutsLayersInNumericOrderAfterTheOthers() {
        List<String> n = new ArrayList<>(List.of("blk.10.attn_q.weight", "blk.2.attn_q.weight", "token_embd.weight", "blk.2.attn_k.weight",
                "output.weight", "rope_freqs.weight"));
        n.sort(QuantPlan.LOADER_ORDER);
        assertEquals(List.of("output.weight", "rope_freqs.weight", "token_embd.weight", "blk.2.attn_k.weight", "blk.2.attn_q.weight",
                "blk.10.attn_q.weight"), n);
    }

    @Test
    void q4KMGivesQ6KToAttnVAndFfnDownOfTheMoreBitsLayers() {
        Map<String, GgmlType> t = types(llama(8, 256), ExportType.Q4_K_M, new QuantPlan.Model(8, 0, false));
        // use_more_bits(i, 8): i < 1, i >= 7, or (i - 1) % 3 == 2
        for (int l = 0; l < 8; l++) {
            GgmlType more = List.of(0, 3, 6, 7).contains(l) ? GgmlType.Q6_K : GgmlType.Q4_K;
            assertEquals(more, t.get("blk." + l + ".attn_v.weight"), "attn_v " + l);
            assertEquals(more, t.get("blk." + l + ".ffn_down.weight"), "ffn_down " + l);
            assertEquals(GgmlType.Q4_K, t.get("blk." + l + ".attn_q.weight"));
            assertEquals(GgmlType.F32, t.get("blk." + l + ".attn_norm.weight"));
        }
        assertEquals(GgmlType.Q6_K, t.get("output.weight"));
        assertEquals(GgmlType.Q4_K, t.get("token_embd.weight"));
    }

    @Test
    void q4KSGivesQ5KToTheFirstFourAttnVAndTheFirstEighthOfFfnDown() {
        Map<String, GgmlType> t = types(llama(16, 256), ExportType.Q4_K_S, new QuantPlan.Model(16, 0, false));
        for (int l = 0; l < 16; l++) {
            assertEquals(l < 4 ? GgmlType.Q5_K : GgmlType.Q4_K, t.get("blk." + l + ".attn_v.weight"), "attn_v " + l);
            assertEquals(l < 2 ? GgmlType.Q5_K : GgmlType.Q4_K, t.get("blk." + l + ".ffn_down.weight"), "ffn_down " + l);
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksFallBack() {
        Map<String, GgmlType> t = types(llama(2, 64), ExportType.Q4_K_M, new QuantPlan.Model(2, 0, false));
        assertEquals(GgmlType.Q8_0, t.get("output.weight")); // 64 % 256: Q8_0 instead of Q6_K
        assertEquals(GgmlType.Q5_0, t.get("blk.1.attn_q.weight")); // Q4_K -> Q5_0
        assertEquals(GgmlType.Q8_0, t.get("blk.1.attn_v.weight")); // use_more_bits(1, 2): Q6_K -> Q8_0
        assertEquals(GgmlType.Q5_0, t.get("blk.0.attn_v.weight"));
        Map<String, GgmlType> odd = types(llama(2, 48), ExportType.Q4_0, new QuantPlan.Model(2, 0, false));
        assertEquals(GgmlType.F16, odd.get("blk.0.attn_q.weight")); // 48 is not even a 32-block
    }

    @Test
    void tiedEmbeddingsQuantizeLikeTheOutput() {
        List<QuantPlan.In> in = new ArrayList<>(llama(2, 256));
        in.removeIf(i -> i.name().equals("output.weight"));
        assertEquals(GgmlType.Q6_K, types(in, ExportType.Q4_0, new QuantPlan.Model(2, 0, false)).get("token_embd.weight"));
        assertEquals(GgmlType.Q8_0, types(in, ExportType.Q8_0, new QuantPlan.Model(2, 0, false)).get("token_embd.weight"));
    }

    @Test
    void eightExpertsGetQ8AttentionAnd70bGetsQ5KAttnV() {
        Map<String, GgmlType> moe = types(llama(2, 256), ExportType.Q4_K_S, new QuantPlan.Model(2, 8, false));
        assertEquals(GgmlType.Q8_0, moe.get("blk.1.attn_v.weight"));
        assertEquals(GgmlType.Q8_0, moe.get("blk.1.attn_k.weight"));
        assertEquals(GgmlType.Q5_K, moe.get("blk.1.attn_output.weight"));
        Map<String, GgmlType> big = types(llama(8, 256), ExportType.Q4_K_S, new QuantPlan.Model(8, 0, true));
        assertEquals(GgmlType.Q5_K, big.get("blk.7.attn_v.weight"));
    }

    @Test
    void f16AndBf16ConvertEveryMatrixAndKeepVectors() {
        Map<String, GgmlType> t = types(llama(2, 64), ExportType.BF16, new QuantPlan.Model(2, 0, false));
        assertEquals(GgmlType.BF16, t.get("output.weight"));
        assertEquals(GgmlType.BF16, t.get("blk.0.attn_v.weight"));
        assertEquals(GgmlType.F32, t.get("output_norm.weight"));
    }

    @Test
    void anExpertLayerOutsideTheModelIsRefused() {
        List<QuantPlan.In> in = List.of(new QuantPlan.In("blk.5.ffn_down_exps.weight", 256, 3, GgmlType.F32));
        assertThrows(IllegalArgumentException.class, () -> QuantPlan.types(in, ExportType.Q4_K_M, new QuantPlan.Model(2, 4, false)));
    }
}
