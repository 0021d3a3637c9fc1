package dev.mergelab.model.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * config.json and generation_config.json rebuilt from a GGUF file's metadata: the converter's hyper-parameter map
 * ({@code <arch>.*} keys, see export's HyperParameters) read backwards, the architecture from {@link HfIdentity}, the
 * vocabulary size from {@code token_embd.weight}, {@code tie_word_embeddings} from whether {@code output.weight} is
 * there, RoPE scaling from the {@code rope.scaling.*} keys (linear, yarn) or from {@code rope_freqs.weight}
 * (llama3), and the special token ids from {@code tokenizer.ggml.*}.
 */
final class GgufConfigJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The generic TextModel keys (convert_hf_to_gguf.py's set_gguf_parameters), GGUF key after {@code <arch>.} →
     * the config name the converter reads first; a count unless the key is in {@link #REALS}.
     */
    private static final Map<String, String> TEXT_MODEL = orderedMap(
            "block_count", "num_hidden_layers",
            "context_length", "max_position_embeddings",
            "embedding_length", "hidden_size",
            "feed_forward_length", "intermediate_size",
            "attention.head_count", "num_attention_heads",
            "attention.head_count_kv", "num_key_value_heads",
            "attention.key_length", "head_dim",
            "rope.freq_base", "rope_theta",
            "attention.layer_norm_rms_epsilon", "rms_norm_eps",
            "attention.layer_norm_epsilon", "layer_norm_eps",
            "expert_used_count", "num_experts_per_tok");
    private static final List<String> REALS = List.of("rope.freq_base", "attention.layer_norm_rms_epsilon", "attention.layer_norm_epsilon");
    /** What the forward pass cannot do without. */
    private static final List<String> REQUIRED = List.of("block_count", "embedding_length", "attention.head_count");

    private GgufConfigJson() {
    }

    /**
     * @param vocab      rows of token_embd.weight
     * @param tied       whether the file has no output.weight
     * @param torchDtype the dtype most weights are stored in (float32 for quantized ones, which decode to it)
     * @param ropeFreqs  rope_freqs.weight's values, or null
     * @param longrope   rope_factors_long.weight's and rope_factors_short.weight's values (Phi-3), or null
     */
    static ObjectNode config(GgufKeys keys, String arch, HfIdentity id, long vocab, boolean tied, String torchDtype,
            float[] ropeFreqs, float[][] longrope, String where) {
        for (String k : REQUIRED) {
            keys.requiredCount(arch + "." + k);
        }
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(id.architecture());
        c.put("model_type", id.modelType());
        TEXT_MODEL.forEach((gguf, hf) -> put(c, keys, arch + "." + gguf, hf, REALS.contains(gguf)));
        if (id.spec().experts() != null) {
            put(c, keys, arch + ".expert_count", id.spec().experts().countFrom(), false);
        }
        for (JsonNode p : id.spec().params()) {
            if (p.isObject()) {
                entry(c, keys, arch, p);
            }
        }
        for (JsonNode k : id.keys()) {
            String key = arch + "." + k.get("key").asText(), to = k.get("to").asText();
            put(c, keys, key, to, k.get("type").asText().equals("f32"));
            if (!c.has(to) && k.has("default")) {
                c.set(to, k.get("default"));
            }
        }
        if (id.queryScale27bBlocks() > 0) {
            // llama.cpp scales queries by 1/sqrt(head_dim), or 1/sqrt(hidden/heads) for what it calls 27B
            long headDim = c.has("head_dim") ? c.get("head_dim").asLong() : c.get("hidden_size").asLong() / c.get("num_attention_heads").asLong();
            boolean is27b = c.get("num_hidden_layers").asInt() == id.queryScale27bBlocks();
            c.put("query_pre_attn_scalar", is27b ? c.get("hidden_size").asLong() / c.get("num_attention_heads").asLong() : headDim);
        }
        if (id.partialRotary()) {
            OptionalLong rotary = keys.count(arch + ".rope.dimension_count");
            long headDim = c.has("head_dim") ? c.get("head_dim").asLong() : c.get("hidden_size").asLong() / c.get("num_attention_heads").asLong();
            if (rotary.isPresent() && rotary.getAsLong() != headDim) {
                c.put("partial_rotary_factor", (double) rotary.getAsLong() / headDim);
            }
        }
        c.put("vocab_size", vocab);
        c.put("tie_word_embeddings", tied);
        c.put("torch_dtype", torchDtype);
        keys.count("tokenizer.ggml.bos_token_id").ifPresent(v -> c.put("bos_token_id", v));
        keys.count("tokenizer.ggml.eos_token_id").ifPresent(v -> c.put("eos_token_id", v));
        ObjectNode rope = ropeScaling(keys, arch, c, ropeFreqs, longrope, where);
        if (rope != null) {
            c.set("rope_scaling", rope);
        }
        c.setAll(id.extraConfig());
        return c;
    }

    /** bos and eos ids, as a Transformers generation_config.json carries them. */
    static ObjectNode generationConfig(GgufKeys keys) {
        ObjectNode g = JSON.createObjectNode();
        keys.count("tokenizer.ggml.bos_token_id").ifPresent(v -> g.put("bos_token_id", v));
        keys.count("tokenizer.ggml.eos_token_id").ifPresent(v -> g.put("eos_token_id", v));
        return g;
    }

    private static void put(ObjectNode c, GgufKeys keys, String key, String hf, boolean real) {
        if (real) {
            OptionalDouble v = keys.real(key);
            if (v.isPresent()) {
                c.put(hf, v.getAsDouble());
            }
        } else {
            OptionalLong v = keys.count(key);
            if (v.isPresent()) {
                c.put(hf, v.getAsLong());
            }
        }
    }

    /**
     * One entry of the architecture's params list read backwards: GGUF {@code key} into the first config name of
     * {@code from} (or the name in {@code from_rope}); with {@code else_divide} [a, b], only when it differs from a / b (the converter's fallback).
     */
    private static void entry(ObjectNode c, GgufKeys keys, String arch, JsonNode p) {
        String key = arch + "." + p.get("key").asText();
        // a key the converter reads from the RoPE parameters ("from_rope") goes back to the top level under that name
        String hf = p.has("from") ? p.get("from").get(0).asText() : p.get("from_rope").asText();
        boolean real = p.get("type").asText().equals("f32");
        if (p.has("else_divide")) {
            Iterator<JsonNode> ab = p.get("else_divide").elements();
            JsonNode a = c.get(ab.next().asText());
            JsonNode b = c.get(ab.next().asText());
            OptionalLong v = keys.count(key);
            if (v.isEmpty() || c.has(hf) || a != null && b != null && b.asLong() != 0 && Math.floorDiv(a.asLong(), b.asLong()) == v.getAsLong()) {
                return;
            }
        }
        for (JsonNode name : p.path("from")) {
            if (c.has(name.asText())) {
                return; // already there under the name the converter prefers or the generic keys use
            }
        }
        if (!c.has(hf)) {
            put(c, keys, key, hf, real);
        }
    }

    /**
     * rope_scaling from the rope.scaling.* keys (linear, yarn), rope_freqs.weight (llama3) or the rope_factors_long /
     * short tensors (LongRoPE: the factors come back as the float32 values llama.cpp uses, each written as the
     * shortest decimal of that float; the original context goes to the top level, where Phi-3 keeps it); null when none.
     */
    private static ObjectNode ropeScaling(GgufKeys keys, String arch, ObjectNode c, float[] ropeFreqs, float[][] longrope, String where) {
        if (ropeFreqs != null) {
            int dim = c.has("head_dim") ? c.get("head_dim").asInt() : c.get("hidden_size").asInt() / c.get("num_attention_heads").asInt();
            double theta = c.has("rope_theta") ? c.get("rope_theta").asDouble() : 10000.0;
            return Llama3Rope.recover(ropeFreqs, theta, dim, where);
        }
        if (longrope != null) {
            // Phi3MiniModel writes the factor tensors (and rope.scaling.attn_factor, which Transformers derives), no type
            ObjectNode r = JSON.createObjectNode();
            r.put("type", "longrope");
            var lf = r.putArray("long_factor");
            for (float f : longrope[0]) {
                lf.add(Double.parseDouble(Float.toString(f)));
            }
            var sf = r.putArray("short_factor");
            for (float f : longrope[1]) {
                sf.add(Double.parseDouble(Float.toString(f)));
            }
            keys.count(arch + ".rope.scaling.original_context_length").ifPresent(v -> c.put("original_max_position_embeddings", v));
            return r;
        }
        if (!keys.has(arch + ".rope.scaling.type")) {
            return null;
        }
        String type = keys.requiredString(arch + ".rope.scaling.type");
        ObjectNode r = JSON.createObjectNode();
        switch (type) {
            case "linear" -> {
                r.put("rope_type", "linear");
                r.put("factor", keys.real(arch + ".rope.scaling.factor").orElseThrow(() -> keys.missing(arch + ".rope.scaling.factor")));
            }
            case "yarn" -> {
                r.put("rope_type", "yarn");
                r.put("factor", keys.real(arch + ".rope.scaling.factor").orElseThrow(() -> keys.missing(arch + ".rope.scaling.factor")));
                keys.count(arch + ".rope.scaling.original_context_length").ifPresent(v -> r.put("original_max_position_embeddings", v));
                keys.real(arch + ".rope.scaling.yarn_ext_factor").ifPresent(v -> r.put("extrapolation_factor", v));
                keys.real(arch + ".rope.scaling.yarn_attn_factor").ifPresent(v -> r.put("attention_factor", v));
                keys.real(arch + ".rope.scaling.yarn_beta_fast").ifPresent(v -> r.put("beta_fast", v));
                keys.real(arch + ".rope.scaling.yarn_beta_slow").ifPresent(v -> r.put("beta_slow", v));
            }
            case "none" -> {
                return null;
            }
            default -> throw dev.mergelab.MergeLabException.input(where + ": GGUF RoPE scaling '" + type + "' cannot be turned back into a config",
                    "supported: linear, yarn, and llama3's rope_freqs");
        }
        return r;
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
