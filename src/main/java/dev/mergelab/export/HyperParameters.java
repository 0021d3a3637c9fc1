package dev.mergelab.export;

import dev.mergelab.model.gguf.GgufArchitecture;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufValue;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The {@code <arch>.*} keys, in the order convert_hf_to_gguf.py writes them: the architecture file's list, where
 * {@code "@text_model"} stands for the converter's generic TextModel.set_gguf_parameters (block count, context,
 * embedding, feed-forward, heads, RoPE scaling and base, norm epsilons, experts, head_dim, then file type).
 * {@code "@rope_dimension_count_partial"} is Phi-3's int(partial_rotary_factor * hidden) // heads.
 * Config values are looked up as the converter's find_hparam does: the first of several names present, after a
 * {@code text_config} is lifted to the top level.
 */
final class HyperParameters {

    private final ObjectNode hp;
    private final String arch;
    private final Map<String, GgufValue> out;

    private HyperParameters(ObjectNode config, String arch, Map<String, GgufValue> out) {
        this.hp = lifted(config);
        this.arch = arch;
        this.out = out;
    }

    /** Appends the keys of {@code spec} for {@code config} to {@code out}; {@code fileType} is llama_ftype. */
    static void write(ObjectNode config, GgufArchitecture spec, int fileType, Map<String, GgufValue> out) {
        HyperParameters h = new HyperParameters(config, spec.ggufName(), out);
        spec.hiddenConfigKeys().forEach(h.hp::remove);
        for (JsonNode p : spec.params()) {
            if (p.isTextual() && p.asText().equals("@text_model")) {
                h.textModel(fileType);
            } else if (p.isTextual() && p.asText().equals("@file_type")) {
                out.put("general.file_type", GgufValue.ofU32(fileType));
            } else if (p.isTextual() && p.asText().equals("@rope_dimension_count_partial")) {
                out.put(spec.ggufName() + ".rope.dimension_count",
                        GgufValue.ofU32(RopeParameters.ropeDims(h.hp, RopeParameters.of(h.hp))));
            } else {
                h.entry(p);
            }
        }
    }

    /** The config with {@code text_config}'s keys moved to the top level (they win), as TextModel does. */
    static ObjectNode lifted(ObjectNode config) {
        ObjectNode c = config.deepCopy();
        JsonNode text = c.get("text_config");
        if (text instanceof ObjectNode t) {
            t.properties().forEach(e -> c.set(e.getKey(), e.getValue()));
        }
        return c;
    }

    /** The first of {@code keys} present and not null, or null. */
    static JsonNode find(ObjectNode hp, List<String> keys) {
        for (String k : keys) {
            JsonNode v = hp.get(k);
            if (v != null && !v.isNull()) {
                return v;
            }
        }
        return null;
    }

    private JsonNode find(String... keys) {
        return find(hp, List.of(keys));
    }

    private void u32(String key, JsonNode v) {
        if (v != null) {
            if (!v.canConvertToLong() || v.asLong() < 0 || v.asLong() > 0xFFFFFFFFL) {
                throw MergeLabException.input("config.json: " + key + " is " + v + ", not a count");
            }
            out.put(arch + "." + key, GgufValue.ofU32(v.asLong()));
        }
    }

    private void f32(String key, JsonNode v) {
        if (v != null) {
            out.put(arch + "." + key, GgufValue.ofF32((float) v.asDouble()));
        }
    }

    private void textModel(int fileType) {
        u32("block_count", find("n_layers", "num_hidden_layers", "n_layer", "num_layers"));
        u32("context_length", find("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length",
                "model_max_length"));
        u32("embedding_length", find("hidden_size", "n_embd", "dim"));
        u32("feed_forward_length", find("prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size",
                "n_inner", "hidden_dim"));
        u32("attention.head_count", find("num_attention_heads", "n_head", "n_heads"));
        u32("attention.head_count_kv", find("num_key_value_heads", "n_kv_heads"));
        JsonNode causal = hp.get("is_causal");
        if (causal != null && causal.isBoolean() && !causal.asBoolean()) {
            out.put(arch + ".attention.causal", GgufValue.ofBool(false));
        }
        ObjectNode rope = RopeParameters.of(hp);
        JsonNode type = rope.get("rope_type");
        if (type != null && !type.isNull()) {
            JsonNode factor = rope.get("factor");
            switch (type.asText()) {
                case "linear" -> {
                    if (factor != null) {
                        out.put(arch + ".rope.scaling.type", GgufValue.ofString("linear"));
                        f32("rope.scaling.factor", factor);
                    }
                }
                case "yarn" -> {
                    if (factor != null) {
                        out.put(arch + ".rope.scaling.type", GgufValue.ofString("yarn"));
                        f32("rope.scaling.factor", factor);
                        u32("rope.scaling.original_context_length", rope.get("original_max_position_embeddings"));
                        f32("rope.scaling.yarn_ext_factor", rope.get("extrapolation_factor"));
                        JsonNode attn = rope.get("attention_factor");
                        f32("rope.scaling.yarn_attn_factor", attn != null ? attn : rope.get("attn_factor"));
                        f32("rope.scaling.yarn_beta_fast", rope.get("beta_fast"));
                        f32("rope.scaling.yarn_beta_slow", rope.get("beta_slow"));
                    }
                }
                case "su", "longrope" -> out.put(arch + ".rope.scaling.type", GgufValue.ofString("longrope"));
                default -> {
                    // dynamic is the model class's business, llama3 becomes rope_freqs.weight; others write nothing
                }
            }
        }
        f32("rope.freq_base", rope.get("rope_theta"));
        f32("rope.freq_base_swa", RopeParameters.slidingTheta(hp));
        f32("attention.layer_norm_rms_epsilon", find("rms_norm_eps", "norm_eps"));
        f32("attention.layer_norm_epsilon", find("layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"));
        u32("expert_count", find("num_local_experts", "num_experts", "n_routed_experts"));
        u32("expert_used_count", find("num_experts_per_tok", "num_experts_per_token", "top_k_experts"));
        JsonNode headDim = hp.get("head_dim");
        if (headDim != null && !headDim.isNull()) {
            u32("attention.key_length", headDim);
            u32("attention.value_length", headDim);
        }
        out.put("general.file_type", GgufValue.ofU32(fileType));
    }

    /**
     * One data entry: {@code key}, {@code type} and where its value comes from: {@code from} (config names, the first
     * present), or {@code from_rope} (a name in the full-attention RoPE parameters); then {@code else_divide} [a, b] =
     * a / b, then {@code default}. {@code skip_if_zero} leaves out a value Python finds false (null or 0);
     * {@code unless} {name: value} leaves the key out when the config's name has that value (absent is null).
     */
    private void entry(JsonNode p) {
        JsonNode v = null;
        if (p.has("from")) {
            List<String> from = new java.util.ArrayList<>();
            p.get("from").forEach(n -> from.add(n.asText()));
            v = find(hp, from);
        } else if (p.has("from_rope")) {
            v = RopeParameters.of(hp).get(p.get("from_rope").asText());
            v = v == null || v.isNull() ? null : v;
        }
        if (v == null && p.has("else_divide")) {
            Iterator<JsonNode> ab = p.get("else_divide").elements();
            JsonNode a = hp.get(ab.next().asText());
            JsonNode b = hp.get(ab.next().asText());
            if (a != null && b != null && b.asLong() != 0) {
                v = com.fasterxml.jackson.databind.node.LongNode.valueOf(Math.floorDiv(a.asLong(), b.asLong()));
            }
        }
        if (v == null && p.has("default")) {
            v = p.get("default");
        }
        if (v != null && p.path("skip_if_zero").asBoolean(false) && v.isNumber() && v.asDouble() == 0) {
            v = null;
        }
        if (p.has("unless")) {
            for (Map.Entry<String, JsonNode> u : p.get("unless").properties()) {
                JsonNode c = hp.get(u.getKey());
                if (c == null ? u.getValue().isNull() : c.equals(u.getValue()) || c.isNumber() && u.getValue().isNumber()
                        && c.asDouble() == u.getValue().asDouble()) {
                    v = null;
                }
            }
        }
        switch (p.get("type").asText()) {
            case "u32" -> u32(p.get("key").asText(), v);
            case "f32" -> f32(p.get("key").asText(), v);
            default -> throw new IllegalStateException("unknown parameter type in " + p);
        }
    }
}
