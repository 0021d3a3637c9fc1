package dev.mergelab.infer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.model.ForwardSpec;
import dev.mergelab.model.ModelConfig;

import java.util.List;

/**
 * One layer kind's RoPE settings, standardised as Transformers v5's {@code standardize_rope_params} does:
 * {@code rope_parameters} (v5, possibly one dict per layer type) or else {@code rope_scaling} (v4, with
 * {@code type} as an old spelling of {@code rope_type} and {@code su} of {@code longrope}) plus
 * {@code rope_theta}; {@code partial_rotary_factor} from the top level; for llama3 / yarn / longrope the
 * top-level {@code original_max_position_embeddings} (Phi-3) wins over the dict's, else
 * {@code max_position_embeddings} fills it in.
 */
public record RopeParameters(
        String type,
        double theta,
        int headDim,
        int rotaryDim,
        int maxPositionEmbeddings,
        int longropeThreshold,
        ObjectNode values) {

    public static final List<String> TYPES = List.of("default", "linear", "dynamic", "llama3", "yarn", "longrope");

    /** Settings of the layers of {@code layerType} ("full_attention" or "sliding_attention"). */
    public static RopeParameters of(ModelConfig config, ForwardSpec spec, int headDim, String layerType) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        JsonNode v5 = config.value("rope_parameters").orElse(null);
        if (v5 != null && !v5.isObject()) {
            throw bad(config, "rope_parameters must be an object");
        }
        boolean perLayerType = v5 != null && (v5.has("full_attention") || v5.has("sliding_attention"));
        if (perLayerType) {
            JsonNode own = v5.get(layerType);
            if (own == null || !own.isObject()) {
                throw bad(config, "rope_parameters has no object for layer type " + layerType);
            }
            p.setAll((ObjectNode) own.deepCopy());
        } else if (v5 != null) {
            p.setAll((ObjectNode) v5.deepCopy());
        } else {
            JsonNode scaling = config.value("rope_scaling").orElse(null);
            if (scaling != null) {
                if (!scaling.isObject()) {
                    throw bad(config, "rope_scaling must be an object");
                }
                p.setAll((ObjectNode) scaling.deepCopy());
            }
        }
        String type = text(p, "rope_type", text(p, "type", "default"));
        if (type.equals("su")) {
            type = "longrope"; // Phi-3's first name for it
        }
        double theta = p.has("rope_theta") ? number(config, p, "rope_theta")
                : config.value("rope_theta").map(JsonNode::asDouble).orElse(spec.ropeThetaDefault());
        // Gemma 3 under Transformers 4.x: sliding layers use rope_local_base_freq with plain RoPE.
        if (!perLayerType && layerType.equals("sliding_attention") && spec.localRopeThetaKey() != null) {
            type = "default";
            theta = config.value(spec.localRopeThetaKey()).map(JsonNode::asDouble).orElse(10000.0);
            p.removeAll();
        }
        if (!TYPES.contains(type)) {
            throw MergeLabException.input("config " + config.source() + ": unsupported RoPE type '" + type + "'",
                    "supported: " + String.join(", ", TYPES));
        }
        double partial = config.value("partial_rotary_factor").map(JsonNode::asDouble)
                .orElse(p.has("partial_rotary_factor") ? number(config, p, "partial_rotary_factor") : 1.0);
        int maxPos = config.intValue("max_position_embeddings").orElse(2048);
        if (type.equals("llama3") || type.equals("yarn") || type.equals("longrope")) {
            var top = config.intValue("original_max_position_embeddings");
            if (top.isPresent()) {
                p.put("original_max_position_embeddings", top.getAsInt());
            } else if (!p.has("original_max_position_embeddings")) {
                p.put("original_max_position_embeddings", maxPos);
            }
        }
        int threshold = config.intValue("original_max_position_embeddings").orElse(maxPos);
        int rotary = (int) (headDim * partial);
        return new RopeParameters(type, theta, headDim, rotary, maxPos, threshold, p);
    }

    /** A required number of the rope dict. */
    double require(String key) {
        JsonNode v = values.get(key);
        if (v == null || !v.isNumber()) {
            throw MergeLabException.input("RoPE type " + type + " needs a number '" + key + "'", null);
        }
        return v.doubleValue();
    }

    /** An optional number of the rope dict; null when absent or null. */
    Double optional(String key) {
        JsonNode v = values.get(key);
        return v == null || v.isNull() ? null : v.asDouble();
    }

    /** A list of numbers of the rope dict, checked to hold rotaryDim / 2 entries. */
    double[] factors(String key) {
        JsonNode v = values.get(key);
        if (v == null || !v.isArray() || v.size() != rotaryDim / 2) {
            throw MergeLabException.input("RoPE type " + type + " needs '" + key + "' as a list of "
                    + rotaryDim / 2 + " numbers", null);
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i).asDouble();
        }
        return out;
    }

    private static String text(JsonNode p, String key, String fallback) {
        JsonNode v = p.get(key);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }

    private static double number(ModelConfig config, JsonNode p, String key) {
        JsonNode v = p.get(key);
        if (!v.isNumber()) {
            throw bad(config, "RoPE " + key + " must be a number");
        }
        return v.doubleValue();
    }

    private static MergeLabException bad(ModelConfig config, String why) {
        return MergeLabException.input("config " + config.source() + ": " + why, "repair config.json");
    }
}
