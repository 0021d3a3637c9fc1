package dev.mergelab.export;

import dev.mergelab.format.gguf.GgmlType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What llama_model_quantize (llama-quant.cpp, default parameters, with or without an importance matrix) does to an F32 GGUF: the
 * order it writes the tensors in (its weights_map: layer number, then name) and the type each one gets —
 * tensor_allows_quantization, the preset's mixture rules of llama_tensor_get_type_impl (token_embd/output,
 * attn_v, attn_k, ffn_down, attn_output, with their running per-category counters) and tensor_type_fallback
 * when a row is not a whole number of blocks. Only the presets of {@link ExportType} are modelled.
 */
final class QuantPlan {

    private static final Pattern BLOCK = Pattern.compile("^blk\\.(-?\\d+)\\.");

    /** The facts of the model the rules read (llama_hparams): layers, heads, experts, LLM_TYPE_70B. */
    record Model(int nLayer, int nExpert, boolean type70b) {
    }

    private enum Category { TOKEN_EMBD, OUTPUT, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_V, ATTENTION_K, ATTENTION_Q,
        ATTENTION_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN, OTHER }

    /** One tensor of the output: its name, row length (ne[0]), number of dimensions and its type in the F32 file. */
    record In(String name, long ne0, int nDims, GgmlType type) {
    }

    private QuantPlan() {
    }

    /** llama_model_loader's weight_name_comparer: the layer number of "blk.N." (-1 without), then the name. */
    static final Comparator<String> LOADER_ORDER = Comparator.<String>comparingInt(QuantPlan::layer).thenComparing(Comparator.naturalOrder());

    private static int layer(String name) {
        Matcher m = BLOCK.matcher(name);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The types of {@code tensors}, which must already be in {@link #LOADER_ORDER}, without an importance matrix. */
    static List<GgmlType> types(List<In> tensors, ExportType preset, Model model) {
        return types(tensors, preset, model, false);
    }

    /** The types of {@code tensors} (in {@link #LOADER_ORDER}); {@code hasImatrix}: llama-quantize was given one. */
    static List<GgmlType> types(List<In> tensors, ExportType preset, Model model, boolean hasImatrix) {
        int nAttnV = 0;
        boolean tied = true;
        for (In t : tensors) {
            Category c = category(t.name);
            if (c == Category.ATTENTION_V || c == Category.ATTENTION_QKV || c == Category.ATTENTION_KV_B) {
                nAttnV++;
            }
            if (c == Category.OUTPUT) {
                tied = false;
            }
        }
        Counters k = new Counters(nAttnV, model.nLayer);
        List<GgmlType> out = new ArrayList<>();
        for (In t : tensors) {
            if (!allowsQuantization(t)) {
                out.add(t.type);
                continue;
            }
            GgmlType type = preset.defaultType;
            if (preset.quantized()) {
                type = mixture(k, type, t, preset, category(t.name), tied, model, hasImatrix);
                type = fallback(t, type);
            }
            out.add(type);
        }
        return out;
    }

    private static final class Counters {
        final int nAttentionWv, nLayer;
        int iAttentionWv, iFfnDown, iFfnGate, iFfnUp;

        Counters(int nAttentionWv, int nLayer) {
            this.nAttentionWv = nAttentionWv;
            this.nLayer = nLayer;
        }
    }

    private static Category category(String n) {
        if (n.equals("output.weight")) {
            return Category.OUTPUT;
        }
        if (n.equals("token_embd.weight") || n.equals("per_layer_token_embd.weight")) {
            return Category.TOKEN_EMBD;
        }
        String[][] order = {{"attn_qkv.weight", "ATTENTION_QKV"}, {"attn_kv_b.weight", "ATTENTION_KV_B"}, {"attn_v.weight", "ATTENTION_V"},
            {"attn_k.weight", "ATTENTION_K"}, {"attn_q.weight", "ATTENTION_Q"}, {"attn_output.weight", "ATTENTION_OUTPUT"},
            {"ffn_up", "FFN_UP"}, {"ffn_gate", "FFN_GATE"}, {"ffn_down", "FFN_DOWN"}};
        for (String[] o : order) {
            if (n.contains(o[0])) {
                return Category.valueOf(o[1]);
            }
        }
        return Category.OTHER;
    }

    /** tensor_allows_quantization for the names a text model has: 2-D and up, "...weight", no norms, no router. */
    private static boolean allowsQuantization(In t) {
        if (t.nDims < 2) {
            return false;
        }
        String n = t.name;
        return n.endsWith("weight") && !n.contains("_norm.weight") && !n.contains("ffn_gate_inp.weight")
                && !n.contains("ffn_gate_tid2eid.weight") && !n.contains("altup") && !n.contains("laurel")
                && !n.contains("per_layer_model_proj") && !n.equals("position_embd.weight") && !n.equals("token_types.weight")
                && !n.contains("ssm_conv1d") && !n.contains("shortconv.conv.weight") && !n.contains("attn_rel_b.weight");
    }

    private static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** layer_info: the counter for dense models; the name's block number when there are experts. */
    private static int layerOf(int counter, In t, Model m) {
        if (m.nExpert > 1) {
            int l = layer(t.name);
            if (l < 0 || l >= m.nLayer) {
                throw new IllegalArgumentException("bad layer " + l + " for tensor " + t.name);
            }
            return l;
        }
        return counter;
    }

    private static GgmlType mixture(Counters k, GgmlType type, In t, ExportType ftype, Category c, boolean tied, Model m,
            boolean hasImatrix) {
        if (c == Category.OUTPUT || (tied && c == Category.TOKEN_EMBD)) {
            if (t.ne0 % type.blockSize != 0) {
                return GgmlType.Q8_0;
            }
            return type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        }
        switch (c) {
            case TOKEN_EMBD, ATTENTION_Q, OTHER -> {
                return type;
            }
            case ATTENTION_V, ATTENTION_QKV, ATTENTION_KV_B -> {
                if ((ftype == ExportType.Q4_K_M || ftype == ExportType.Q5_K_M) && useMoreBits(k.iAttentionWv, k.nAttentionWv)) {
                    type = GgmlType.Q6_K;
                } else if (ftype == ExportType.Q4_K_S && k.iAttentionWv < 4) {
                    type = GgmlType.Q5_K;
                }
                if (m.type70b && (type == GgmlType.Q3_K || type == GgmlType.Q4_K)) {
                    type = GgmlType.Q5_K;
                }
                if (m.nExpert == 8) {
                    type = GgmlType.Q8_0;
                }
                k.iAttentionWv++;
                return type;
            }
            case ATTENTION_K -> {
                return m.nExpert == 8 ? GgmlType.Q8_0 : type;
            }
            case FFN_DOWN -> {
                int i = layerOf(k.iFfnDown, t, m), n = k.nLayer;
                if (ftype == ExportType.Q4_K_M && useMoreBits(i, n)) {
                    type = GgmlType.Q6_K;
                } else if (ftype == ExportType.Q5_K_M && useMoreBits(i, n)) {
                    type = GgmlType.Q6_K;
                } else if (ftype == ExportType.Q4_K_S && i < n / 8) {
                    type = GgmlType.Q5_K;
                } else if ((ftype == ExportType.Q4_0 || ftype == ExportType.Q5_0) && hasImatrix && i < n / 8) {
                    // llama.cpp guards the first ffn_down layers against Q4_0/Q5_0 only when an imatrix is given
                    type = ftype == ExportType.Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
                }
                k.iFfnDown++;
                return type;
            }
            case ATTENTION_OUTPUT -> {
                if (m.nExpert == 8 && (ftype == ExportType.Q4_K_S || ftype == ExportType.Q4_K_M)) {
                    type = GgmlType.Q5_K;
                }
                return type;
            }
            case FFN_GATE -> {
                layerOf(k.iFfnGate, t, m);
                k.iFfnGate++;
                return type;
            }
            case FFN_UP -> {
                layerOf(k.iFfnUp, t, m);
                k.iFfnUp++;
                return type;
            }
            default -> throw new IllegalStateException(c.toString());
        }
    }

    /** tensor_type_fallback: a row that is not whole blocks of the chosen type takes a 32-block type, else F16. */
    private static GgmlType fallback(In t, GgmlType type) {
        if (t.ne0 % type.blockSize == 0) {
            return type;
        }
        GgmlType r = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> type;
        };
        return t.ne0 % r.blockSize != 0 ? GgmlType.F16 : r;
    }
}
