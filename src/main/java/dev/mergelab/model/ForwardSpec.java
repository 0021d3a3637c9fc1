package dev.mergelab.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a forward pass needs to know about a family, as data: the {@code forward} object of an architecture
 * definition. Every key but {@code tensors} is optional; the defaults describe a Llama-style decoder.
 *
 * <pre>
 * layer_norms        "pre" (norm, block, add), "sandwich" (norm, block, norm, add: Gemma 2/3) or
 *                    "post" (block, norm, add: OLMo 2)
 * norm_offset        RMSNorm multiplies by (offset + w): 1 for Gemma's (1 + w), else 0
 * activation_keys    config keys naming the MLP activation, first present wins; activation_default otherwise
 * qk_norm            "none", "per_head" (RMSNorm over head_dim: Qwen3, Gemma 3) or "whole" (over the whole
 *                    q / k projection: OLMo 2)
 * embedding_scale    "none" or "sqrt_hidden" (Gemma: embeddings times sqrt(hidden_size))
 * query_scale_key    config key q whose q^-0.5 replaces head_dim^-0.5 as attention scale (Gemma 2/3)
 * embedding_multiplier_key, attention_multiplier_key, residual_multiplier_key, logits_divisor_key:
 *                    config keys of Granite's multipliers (the attention multiplier is the attention scale)
 * attn_softcap_key, final_softcap_key: config keys of tanh soft-capping of attention scores and of logits
 * window_layers      which layers use sliding_window when config.layer_types is absent: "none", "all",
 *                    "pattern" (layer i slides unless (i+1) % period == 0; period from window_pattern_key,
 *                    else window_pattern_default) or "from_layer" (layers from window_first_layer_key on,
 *                    when window_enable_key is true: Qwen2)
 * local_rope_theta_key  config key of the RoPE base of sliding layers (Gemma 3 rope_local_base_freq)
 * rope_theta_default    the family's RoPE base when the config has none
 * moe_top_k_key, moe_normalize_key, moe_normalize_default, moe_sparse_step_key, moe_dense_layers_key:
 *                    routed experts: experts per token, renormalising the chosen probabilities, which layers
 *                    are sparse (every sparse_step-th, minus dense_layers); the expert count is the
 *                    definition's expert_count_key
 * tensors            role -> tensor name (with ${layer_index} / ${expert_index}); roles are listed in ROLES
 * </pre>
 */
public record ForwardSpec(
        String layerNorms,
        double normOffset,
        List<String> activationKeys,
        String activationDefault,
        String qkNorm,
        String embeddingScale,
        String queryScaleKey,
        String embeddingMultiplierKey,
        String attentionMultiplierKey,
        String residualMultiplierKey,
        String logitsDivisorKey,
        String attnSoftcapKey,
        String finalSoftcapKey,
        String windowLayers,
        String windowPatternKey,
        int windowPatternDefault,
        String windowEnableKey,
        String windowFirstLayerKey,
        String localRopeThetaKey,
        double ropeThetaDefault,
        String moeTopKKey,
        String moeNormalizeKey,
        boolean moeNormalizeDefault,
        String moeSparseStepKey,
        String moeDenseLayersKey,
        Map<String, String> tensors) {

    /** Tensor roles a definition may name. Layer roles contain ${layer_index}; expert roles ${expert_index}. */
    public static final Set<String> ROLES = Set.of(
            "embed", "final_norm", "lm_head",
            "attn_norm", "attn_post_norm", "mlp_norm", "mlp_post_norm",
            "q", "k", "v", "qkv", "o", "q_bias", "k_bias", "v_bias", "o_bias", "q_norm", "k_norm",
            "gate", "up", "down", "gate_up", "gate_bias", "up_bias", "down_bias",
            "router", "expert_gate", "expert_up", "expert_down",
            "shared_gate", "shared_up", "shared_down", "shared_expert_gate");

    private static final Set<String> GLOBAL_ROLES = Set.of("embed", "final_norm", "lm_head");
    private static final Set<String> EXPERT_ROLES = Set.of("expert_gate", "expert_up", "expert_down");

    private static final Set<String> KEYS = Set.of("layer_norms", "norm_offset", "activation_keys",
            "activation_default", "qk_norm", "embedding_scale", "query_scale_key", "embedding_multiplier_key",
            "attention_multiplier_key", "residual_multiplier_key", "logits_divisor_key", "attn_softcap_key",
            "final_softcap_key", "window_layers", "window_pattern_key", "window_pattern_default",
            "window_enable_key", "window_first_layer_key", "local_rope_theta_key", "rope_theta_default",
            "moe_top_k_key", "moe_normalize_key", "moe_normalize_default", "moe_sparse_step_key",
            "moe_dense_layers_key", "tensors");

    public ForwardSpec {
        activationKeys = List.copyOf(activationKeys);
        tensors = Map.copyOf(tensors);
        oneOf("layer_norms", layerNorms, "pre", "sandwich", "post");
        oneOf("qk_norm", qkNorm, "none", "per_head", "whole");
        oneOf("embedding_scale", embeddingScale, "none", "sqrt_hidden");
        oneOf("window_layers", windowLayers, "none", "all", "pattern", "from_layer");
        for (Map.Entry<String, String> e : tensors.entrySet()) {
            String role = e.getKey();
            String name = e.getValue();
            if (!ROLES.contains(role)) {
                throw new IllegalArgumentException("unknown tensor role '" + role + "' in forward.tensors");
            }
            boolean layer = name.contains(ArchitectureDefinition.LAYER_INDEX);
            boolean expert = name.contains(ArchitectureDefinition.EXPERT_INDEX);
            if (layer == GLOBAL_ROLES.contains(role) || expert != EXPERT_ROLES.contains(role)) {
                throw new IllegalArgumentException("forward.tensors '" + role + "' must "
                        + (GLOBAL_ROLES.contains(role) ? "not " : "") + "contain " + ArchitectureDefinition.LAYER_INDEX
                        + (EXPERT_ROLES.contains(role) ? " and " + ArchitectureDefinition.EXPERT_INDEX : ""));
            }
        }
        for (String needed : List.of("embed", "final_norm")) {
            if (!tensors.containsKey(needed)) {
                throw new IllegalArgumentException("forward.tensors needs '" + needed + "'");
            }
        }
    }

    private static void oneOf(String key, String value, String... allowed) {
        if (!List.of(allowed).contains(value)) {
            throw new IllegalArgumentException("forward." + key + " must be one of " + List.of(allowed)
                    + ", found '" + value + "'");
        }
    }

    /** This spec with every tensor name passed through {@code rename} (a naming variant). */
    ForwardSpec renamed(java.util.function.UnaryOperator<String> rename) {
        Map<String, String> names = new LinkedHashMap<>();
        tensors.forEach((role, name) -> names.put(role, rename.apply(name)));
        return new ForwardSpec(layerNorms, normOffset, activationKeys, activationDefault, qkNorm, embeddingScale,
                queryScaleKey, embeddingMultiplierKey, attentionMultiplierKey, residualMultiplierKey, logitsDivisorKey,
                attnSoftcapKey, finalSoftcapKey, windowLayers, windowPatternKey, windowPatternDefault, windowEnableKey,
                windowFirstLayerKey, localRopeThetaKey, ropeThetaDefault, moeTopKKey, moeNormalizeKey,
                moeNormalizeDefault, moeSparseStepKey, moeDenseLayersKey, names);
    }

    /** Whether the family routes tokens to experts. */
    public boolean hasExperts() {
        return tensors.containsKey("router");
    }

    /** Parses the {@code forward} object; unknown keys and wrong types are errors (IllegalArgumentException). */
    static ForwardSpec parse(JsonNode node) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("forward must be an object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown key '" + k + "' in forward");
            }
        }
        JsonNode t = node.path("tensors");
        if (!t.isObject()) {
            throw new IllegalArgumentException("forward.tensors must be an object of role: tensor name");
        }
        Map<String, String> tensors = new LinkedHashMap<>();
        t.properties().forEach(e -> {
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("forward.tensors values must be strings");
            }
            tensors.put(e.getKey(), e.getValue().asText());
        });
        List<String> activationKeys = new ArrayList<>();
        JsonNode ak = node.path("activation_keys");
        if (ak.isMissingNode()) {
            activationKeys.add("hidden_act");
        } else {
            if (!ak.isArray()) {
                throw new IllegalArgumentException("forward.activation_keys must be a list of strings");
            }
            ak.forEach(a -> activationKeys.add(string(a, "activation_keys")));
        }
        return new ForwardSpec(
                text(node, "layer_norms", "pre"),
                number(node, "norm_offset", 0),
                activationKeys,
                text(node, "activation_default", "silu"),
                text(node, "qk_norm", "none"),
                text(node, "embedding_scale", "none"),
                text(node, "query_scale_key", null),
                text(node, "embedding_multiplier_key", null),
                text(node, "attention_multiplier_key", null),
                text(node, "residual_multiplier_key", null),
                text(node, "logits_divisor_key", null),
                text(node, "attn_softcap_key", null),
                text(node, "final_softcap_key", null),
                text(node, "window_layers", "none"),
                text(node, "window_pattern_key", null),
                (int) number(node, "window_pattern_default", 2),
                text(node, "window_enable_key", null),
                text(node, "window_first_layer_key", null),
                text(node, "local_rope_theta_key", null),
                number(node, "rope_theta_default", 10000),
                text(node, "moe_top_k_key", null),
                text(node, "moe_normalize_key", null),
                bool(node, "moe_normalize_default", false),
                text(node, "moe_sparse_step_key", null),
                text(node, "moe_dense_layers_key", null),
                tensors);
    }

    private static String text(JsonNode node, String key, String fallback) {
        JsonNode v = node.path(key);
        return v.isMissingNode() ? fallback : string(v, key);
    }

    private static String string(JsonNode v, String key) {
        if (!v.isTextual()) {
            throw new IllegalArgumentException("forward." + key + " must be a string");
        }
        return v.asText();
    }

    private static double number(JsonNode node, String key, double fallback) {
        JsonNode v = node.path(key);
        if (v.isMissingNode()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("forward." + key + " must be a number");
        }
        return v.doubleValue();
    }

    private static boolean bool(JsonNode node, String key, boolean fallback) {
        JsonNode v = node.path(key);
        if (v.isMissingNode()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("forward." + key + " must be true or false");
        }
        return v.booleanValue();
    }
}
