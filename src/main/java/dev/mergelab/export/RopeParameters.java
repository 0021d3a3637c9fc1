package dev.mergelab.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import java.util.List;

/**
 * The RoPE parameters the converter reasons about (TextModel.__init__): {@code rope_parameters} (Transformers v5),
 * else {@code rope_scaling}, with the global {@code rope_theta}, {@code type} → {@code rope_type}, partial rotary
 * factor and original context mirrored in when absent; a per-layer-type dictionary yields its
 * {@code full_attention} entry.
 */
final class RopeParameters {

    private RopeParameters() {
    }

    /** The full-attention RoPE parameters of a (lifted) config; an empty object when it has none. */
    static ObjectNode of(ObjectNode hp) {
        JsonNode given = hp.get("rope_parameters");
        if (given == null || given.isNull()) {
            given = hp.get("rope_scaling");
        }
        ObjectNode rope = given instanceof ObjectNode o ? o.deepCopy() : JsonNodeFactory.instance.objectNode();
        if (!rope.has("full_attention") && !rope.has("sliding_attention")) {
            JsonNode theta = HyperParameters.find(hp, List.of("global_rope_theta", "rope_global_theta", "rope_theta_global",
                    "rope_theta", "rotary_emb_base"));
            if (!rope.has("rope_theta") && theta != null) {
                rope.set("rope_theta", theta);
            }
            if (!rope.has("rope_type") && rope.has("type") && !rope.get("type").isNull()) {
                rope.set("rope_type", rope.get("type"));
            }
            JsonNode partial = HyperParameters.find(hp, List.of("partial_rotary_factor", "rope_pct", "rope_percent"));
            if (!rope.has("partial_rotary_factor") && partial != null) {
                rope.set("partial_rotary_factor", partial);
            }
            JsonNode orig = HyperParameters.find(hp, List.of("original_max_position_embeddings"));
            if (!rope.has("original_max_position_embeddings") && orig != null) {
                rope.set("original_max_position_embeddings", orig);
            }
        }
        JsonNode full = rope.get("full_attention");
        return full instanceof ObjectNode f ? f : rope;
    }

    /**
     * The sliding-window layers' RoPE base (written as rope.freq_base_swa), or null: a per-layer-type dictionary's
     * {@code sliding_attention} theta, else the config's local theta (Gemma 3's {@code rope_local_base_freq}).
     */
    static JsonNode slidingTheta(ObjectNode hp) {
        JsonNode given = hp.get("rope_parameters");
        if (given == null || given.isNull()) {
            given = hp.get("rope_scaling");
        }
        if (given instanceof ObjectNode o && (o.has("full_attention") || o.has("sliding_attention"))) {
            JsonNode t = o.path("sliding_attention").get("rope_theta");
            return t == null || t.isNull() ? null : t;
        }
        return HyperParameters.find(hp, List.of("local_rope_theta", "rope_local_theta", "rope_theta_local", "swa_rope_theta",
                "rope_local_base_freq"));
    }

    /**
     * LongRoPE's {@code [long_factor, short_factor]} as float32, or null when there are no long factors
     * (Phi3MiniModel.generate_extra_tensors); their length must be half the rotary dimensions.
     */
    static float[][] longropeFactors(ObjectNode hp) {
        ObjectNode rope = of(hp);
        JsonNode lf = rope.get("long_factor");
        JsonNode sf = rope.get("short_factor");
        if (lf == null || !lf.isArray() || lf.isEmpty()) {
            return null;
        }
        longropeAttnFactor(hp); // the converter checks the type first
        if (sf == null || !sf.isArray()) {
            throw MergeLabException.input("config.json: rope_scaling has long_factor but no short_factor");
        }
        double half = ropeDims(hp, rope) / 2.0;
        if (lf.size() != sf.size() || lf.size() != half) {
            throw MergeLabException.input("config.json: the rope long and short factors must have " + half + " values, not "
                    + lf.size() + " and " + sf.size());
        }
        float[][] out = new float[2][lf.size()];
        for (int i = 0; i < lf.size(); i++) {
            out[0][i] = (float) lf.get(i).asDouble();
            out[1][i] = (float) sf.get(i).asDouble();
        }
        return out;
    }

    /**
     * {@code rope.scaling.attn_factor} for LongRoPE long factors: sqrt(1 + ln(scale) / ln(original context)) for
     * su/longrope, 0.1 ln(scale) + 1 for yarn, 1 when the context is not extended; null without long factors.
     */
    static Double longropeAttnFactor(ObjectNode hp) {
        ObjectNode rope = of(hp);
        JsonNode lf = rope.get("long_factor");
        if (lf == null || !lf.isArray() || lf.isEmpty()) {
            return null;
        }
        JsonNode maxPos = HyperParameters.find(hp, List.of("n_positions", "max_position_embeddings"));
        JsonNode orig = rope.get("original_max_position_embeddings");
        if (maxPos == null || orig == null) {
            throw MergeLabException.input("config.json: LongRoPE needs max_position_embeddings and original_max_position_embeddings");
        }
        double scale = maxPos.asDouble() / orig.asDouble();
        String type = rope.path("rope_type").asText("").toLowerCase(java.util.Locale.ROOT);
        return switch (type) {
            case "su", "longrope" -> scale > 1.0 ? Math.sqrt(1 + Math.log(scale) / Math.log(orig.asDouble())) : 1.0;
            case "yarn" -> scale > 1.0 ? 0.1 * Math.log(scale) + 1.0 : 1.0;
            default -> throw MergeLabException.input("config.json: rope scaling type '" + type + "' with long factors is not supported",
                    "llama.cpp's converter supports su, longrope and yarn");
        };
    }

    /** Phi-3's rope.dimension_count: int(partial_rotary_factor * hidden_size) // num_attention_heads. */
    static long ropeDims(ObjectNode hp, ObjectNode rope) {
        double partial = rope.path("partial_rotary_factor").asDouble(1.0);
        long embd = HyperParameters.find(hp, List.of("hidden_size", "n_embd")).asLong();
        long heads = HyperParameters.find(hp, List.of("num_attention_heads", "n_head")).asLong();
        return Math.floorDiv((long) (partial * embd), heads);
    }

    /**
     * {@code rope_freqs.weight} for llama3 RoPE scaling, or null for any other: for each frequency of the head
     * dimension, 1 (short wavelengths), {@code factor} (long ones) or the smooth blend {@code 1/((1-s)/factor+s)}
     * between them, computed in float32 as the converter's torch code does.
     */
    static float[] llama3Factors(ObjectNode hp) {
        ObjectNode rope = of(hp);
        JsonNode type = rope.get("rope_type");
        if (type == null || !type.asText().equalsIgnoreCase("llama3")) {
            return null;
        }
        double base = rope.has("rope_theta") ? rope.get("rope_theta").asDouble() : 10000.0;
        JsonNode hd = hp.get("head_dim");
        int dim = hd != null && !hd.isNull() ? hd.asInt() : hp.get("hidden_size").asInt() / hp.get("num_attention_heads").asInt();
        float factor = (float) (rope.has("factor") ? rope.get("factor").asDouble() : 8.0);
        float low = (float) (rope.has("low_freq_factor") ? rope.get("low_freq_factor").asDouble() : 1.0);
        float high = (float) (rope.has("high_freq_factor") ? rope.get("high_freq_factor").asDouble() : 4.0);
        double oldCtx = rope.has("original_max_position_embeddings") ? rope.get("original_max_position_embeddings").asDouble() : 8192;
        // the Python wavelength limits are doubles; each comparison is then made against a float32 tensor
        double lowWavelen = oldCtx / rope.path("low_freq_factor").asDouble(1.0);
        double highWavelen = oldCtx / rope.path("high_freq_factor").asDouble(4.0);
        float[] out = new float[dim / 2 + dim % 2];
        for (int i = 0; i < out.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            float freq = 1.0f / (float) Math.pow((float) base, exponent);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) {
                out[i] = 1;
            } else if (wavelen > lowWavelen) {
                out[i] = factor;
            } else {
                float smooth = ((float) oldCtx / wavelen - low) / (high - low);
                out[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        return out;
    }
}
