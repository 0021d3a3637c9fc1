package dev.mergelab.infer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.model.ForwardSpec;
import dev.mergelab.model.ModelConfig;

import java.util.HashSet;
import java.util.Set;

/**
 * Everything about a model's forward pass except its weights, read from config.json with the family's
 * {@link ForwardSpec}: sizes, norms, activation, attention scale, soft-caps, which layers slide and by how
 * much, RoPE per layer kind, multipliers and expert routing.
 *
 * @param slidingLayers  layer i attends to the last {@code slidingWindow} positions only (itself included)
 * @param sparseLayers   layer i routes its tokens to experts instead of one MLP
 */
public record ModelDescription(
        ForwardSpec spec,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocab,
        double normEps,
        Activation activation,
        boolean tiedEmbeddings,
        float embeddingScale,
        double attentionScale,
        float residualMultiplier,
        float logitsDivisor,
        float attnSoftcap,
        float finalSoftcap,
        int slidingWindow,
        boolean[] slidingLayers,
        RopeParameters globalRope,
        RopeParameters localRope,
        int experts,
        int expertsPerToken,
        boolean normalizeTopK,
        boolean[] sparseLayers) {

    public static ModelDescription of(ModelConfig config, ForwardSpec spec, String expertCountKey) {
        int hidden = required(config, "hidden_size");
        int layers = required(config, "num_hidden_layers");
        int heads = required(config, "num_attention_heads");
        int kvHeads = config.intValue("num_key_value_heads").orElse(heads);
        if (heads == 0 || kvHeads == 0 || heads % kvHeads != 0) {
            throw bad(config, "num_attention_heads (" + heads + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
        }
        int headDim = config.intValue("head_dim").orElse(hidden / heads);
        int vocab = required(config, "vocab_size");
        double eps = number(config, "rms_norm_eps", 1e-6);
        String act = spec.activationDefault();
        for (String key : spec.activationKeys()) {
            JsonNode v = config.value(key).orElse(null);
            if (v != null && v.isTextual()) {
                act = v.asText();
                break;
            }
        }
        float embScale = spec.embeddingScale().equals("sqrt_hidden") ? (float) Math.sqrt(hidden) : 1f;
        if (spec.embeddingMultiplierKey() != null) {
            embScale *= (float) number(config, spec.embeddingMultiplierKey(), 1);
        }
        double scale = Math.pow(headDim, -0.5);
        if (spec.queryScaleKey() != null && config.value(spec.queryScaleKey()).isPresent()) {
            scale = Math.pow(number(config, spec.queryScaleKey(), 0), -0.5);
        }
        if (spec.attentionMultiplierKey() != null && config.value(spec.attentionMultiplierKey()).isPresent()) {
            scale = number(config, spec.attentionMultiplierKey(), 0);
        }
        int window = config.intValue("sliding_window").orElse(0);
        boolean[] sliding = slidingLayers(config, spec, layers, window);
        boolean anySliding = false;
        for (boolean s : sliding) {
            anySliding |= s;
        }
        RopeParameters global = RopeParameters.of(config, spec, headDim, "full_attention");
        RopeParameters local = anySliding ? RopeParameters.of(config, spec, headDim, "sliding_attention") : global;

        int experts = 0;
        int topK = 0;
        boolean[] sparse = new boolean[layers];
        if (spec.hasExperts()) {
            experts = config.intValue(expertCountKey).orElse(0);
            topK = config.intValue(spec.moeTopKKey()).orElseThrow(() -> bad(config, spec.moeTopKKey() + " is missing"));
            if (experts > 0 && (topK < 1 || topK > experts)) {
                throw bad(config, spec.moeTopKKey() + " must be between 1 and " + expertCountKey + " (" + experts + ")");
            }
            int step = spec.moeSparseStepKey() == null ? 1 : config.intValue(spec.moeSparseStepKey()).orElse(1);
            Set<Integer> dense = new HashSet<>();
            if (spec.moeDenseLayersKey() != null) {
                config.value(spec.moeDenseLayersKey()).ifPresent(a -> a.forEach(i -> dense.add(i.asInt())));
            }
            for (int i = 0; i < layers; i++) {
                sparse[i] = experts > 0 && step > 0 && (i + 1) % step == 0 && !dense.contains(i);
            }
        }
        boolean normalize = spec.moeNormalizeDefault();
        if (spec.moeNormalizeKey() != null) {
            JsonNode v = config.value(spec.moeNormalizeKey()).orElse(null);
            if (v != null) {
                normalize = v.asBoolean();
            }
        }
        return new ModelDescription(spec, hidden, layers, heads, kvHeads, headDim, vocab, eps, Activation.byName(act),
                config.tieWordEmbeddings(), embScale, scale,
                spec.residualMultiplierKey() == null ? 1f : (float) number(config, spec.residualMultiplierKey(), 1),
                spec.logitsDivisorKey() == null ? 1f : (float) number(config, spec.logitsDivisorKey(), 1),
                spec.attnSoftcapKey() == null ? 0f : (float) number(config, spec.attnSoftcapKey(), 0),
                spec.finalSoftcapKey() == null ? 0f : (float) number(config, spec.finalSoftcapKey(), 0),
                window, sliding, global, local, experts, topK, normalize, sparse);
    }

    /** config.layer_types when present, else the family's rule; nothing slides without a sliding_window. */
    private static boolean[] slidingLayers(ModelConfig config, ForwardSpec spec, int layers, int window) {
        boolean[] out = new boolean[layers];
        if (window <= 0) {
            return out;
        }
        JsonNode types = config.value("layer_types").orElse(null);
        if (types != null) {
            if (!types.isArray() || types.size() != layers) {
                throw bad(config, "layer_types must list one type per layer (" + layers + ")");
            }
            for (int i = 0; i < layers; i++) {
                String t = types.get(i).asText();
                if (!t.equals("sliding_attention") && !t.equals("full_attention")) {
                    throw bad(config, "unsupported layer type '" + t + "'");
                }
                out[i] = t.equals("sliding_attention");
            }
            return out;
        }
        switch (spec.windowLayers()) {
            case "all" -> java.util.Arrays.fill(out, true);
            case "pattern" -> {
                int period = spec.windowPatternKey() == null ? spec.windowPatternDefault()
                        : config.intValue(spec.windowPatternKey()).orElse(spec.windowPatternDefault());
                for (int i = 0; i < layers; i++) {
                    out[i] = period > 0 && (i + 1) % period != 0;
                }
            }
            case "from_layer" -> {
                boolean on = config.value(spec.windowEnableKey()).map(JsonNode::asBoolean).orElse(false);
                int first = config.intValue(spec.windowFirstLayerKey()).orElse(layers);
                for (int i = first; on && i < layers; i++) {
                    out[i] = true;
                }
            }
            default -> {
            }
        }
        return out;
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    private static int required(ModelConfig config, String key) {
        return config.intValue(key).orElseThrow(() -> bad(config, key + " is missing"));
    }

    private static double number(ModelConfig config, String key, double fallback) {
        JsonNode v = config.value(key).orElse(null);
        if (v == null) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw bad(config, key + " must be a number");
        }
        return v.doubleValue();
    }

    private static MergeLabException bad(ModelConfig config, String why) {
        return MergeLabException.input("config " + config.source() + ": " + why, "repair config.json");
    }
}
