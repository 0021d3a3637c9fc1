package dev.mergelab.lora;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a PEFT {@code adapter_config.json} that decide what an adapter computes. Parsed
 * defensively: the file is size-capped, every field is type-checked, numbers are range-checked, and
 * options that change the arithmetic in ways MergeLab does not implement (DoRA, LoRA biases, layer
 * replication, trainable tokens, parameter targets, non-LoRA PEFT types) are refused with one line
 * rather than silently producing a different model. Defaults are PEFT's ({@code LoraConfig}).
 *
 * @param r                 default rank
 * @param loraAlpha         default alpha
 * @param targetModules     target modules: a list of names/suffixes, or a regex (see {@link TargetModules})
 * @param useRslora         scale alpha/sqrt(r) instead of alpha/r
 * @param fanInFanOut       the base stores linear weights as (in, out) (GPT-2 Conv1D)
 * @param rankPattern       per-module rank overrides (PEFT pattern keys, in file order)
 * @param alphaPattern      per-module alpha overrides (PEFT pattern keys, in file order)
 * @param modulesToSave     modules saved whole in the adapter (replace the base's)
 * @param baseModel         base_model_name_or_path, or null
 * @param raw               the whole parsed file, for writing merged adapters that keep unknown fields
 */
public record AdapterConfig(int r, double loraAlpha, TargetModules targetModules, boolean useRslora, boolean fanInFanOut,
                            Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, List<String> modulesToSave,
                            String baseModel, JsonNode raw) {

    public static final String FILE_NAME = "adapter_config.json";
    /** Real adapter configs are a few KiB; rank patterns for every module of a large model stay far below this. */
    static final long MAX_BYTES = 4L << 20;
    static final int MAX_RANK = 1 << 16;
    static final int MAX_PATTERNS = 1 << 16;

    public AdapterConfig {
        rankPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** Rank of module {@code moduleName} (PEFT: rank_pattern, else r). */
    public int rankOf(String moduleName) {
        String key = PatternKeys.match(rankPattern.keySet(), moduleName);
        return key == null ? r : rankPattern.get(key);
    }

    /** Alpha of module {@code moduleName} (PEFT: alpha_pattern, else lora_alpha). */
    public double alphaOf(String moduleName) {
        String key = PatternKeys.match(alphaPattern.keySet(), moduleName);
        return key == null ? loraAlpha : alphaPattern.get(key);
    }

    /** The factor on B·A for this module: alpha/r, or alpha/sqrt(r) with rsLoRA. */
    public double scaleOf(String moduleName) {
        int rank = rankOf(moduleName);
        double alpha = alphaOf(moduleName);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** Reads and validates {@code folder/adapter_config.json}. */
    public static AdapterConfig read(Path folder) {
        Path file = folder.resolve(FILE_NAME);
        return parse(AdapterJson.read(file, MAX_BYTES, "adapter config"), file.toString());
    }

    /** Validates a parsed config; {@code where} names it in messages. */
    public static AdapterConfig parse(JsonNode root, String where) {
        if (!root.isObject()) {
            throw bad(where, "is not a JSON object", "expected PEFT's adapter_config.json");
        }
        String peftType = optText(root, "peft_type", where);
        if (peftType != null && !peftType.equals("LORA")) {
            throw bad(where, "peft_type is '" + peftType + "'", "only LoRA adapters (peft_type LORA) are supported");
        }
        refuseTrue(root, "use_dora", where, "DoRA adapters rescale by a learned magnitude; MergeLab applies plain LoRA only");
        refuseTrue(root, "lora_bias", where, "LoRA bias terms are not supported; retrain with lora_bias=false");
        refuseSet(root, "layer_replication", where, "adapters with layer_replication change the layer count; not supported");
        refuseSet(root, "trainable_token_indices", where, "trainable token indices are not supported");
        refuseSet(root, "target_parameters", where, "LoRA on nn.Parameter targets is not supported");
        refuseSet(root, "alora_invocation_tokens", where, "activated LoRA (aLoRA) is not supported");
        int r = optInt(root, "r", 8, where);
        if (r < 1 || r > MAX_RANK) {
            throw bad(where, "r is " + r, "the rank must be between 1 and " + MAX_RANK);
        }
        double alpha = optNumber(root, "lora_alpha", 8, where);
        TargetModules targets = TargetModules.parse(root.get("target_modules"), where);
        boolean rslora = optBool(root, "use_rslora", false, where);
        boolean fifo = optBool(root, "fan_in_fan_out", false, where);
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(root, "rank_pattern", where)) {
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > MAX_RANK) {
                throw bad(where, "rank_pattern['" + AdapterJson.show(e.getKey()) + "'] is " + AdapterJson.show(v.toString()),
                        "ranks must be integers between 1 and " + MAX_RANK);
            }
            rankPattern.put(PatternKeys.checked(e.getKey(), "rank_pattern", where), v.intValue());
        }
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(root, "alpha_pattern", where)) {
            JsonNode v = e.getValue();
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                throw bad(where, "alpha_pattern['" + AdapterJson.show(e.getKey()) + "'] is " + AdapterJson.show(v.toString()),
                        "alphas must be finite numbers");
            }
            alphaPattern.put(PatternKeys.checked(e.getKey(), "alpha_pattern", where), v.asDouble());
        }
        List<String> toSave = stringList(root, "modules_to_save", where);
        String base = optText(root, "base_model_name_or_path", where);
        return new AdapterConfig(r, alpha, targets, rslora, fifo, rankPattern, alphaPattern, toSave, base, root);
    }

    static MergeLabException bad(String where, String what, String hint) {
        return MergeLabException.input("adapter config " + where + ": " + what, hint);
    }

    private static void refuseTrue(JsonNode root, String field, String where, String hint) {
        JsonNode v = root.get(field);
        if (v != null && v.isBoolean() && v.booleanValue()) {
            throw bad(where, field + " is true", hint);
        }
    }

    private static void refuseSet(JsonNode root, String field, String where, String hint) {
        JsonNode v = root.get(field);
        if (v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty())) {
            throw bad(where, field + " is set", hint);
        }
    }

    private static String optText(JsonNode root, String field, String where) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw bad(where, field + " is not a string", "fix the field or re-save the adapter with PEFT");
        }
        return v.textValue();
    }

    private static int optInt(JsonNode root, String field, int dflt, String where) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw bad(where, field + " is " + AdapterJson.show(v.toString()), field + " must be an integer");
        }
        return v.intValue();
    }

    private static double optNumber(JsonNode root, String field, double dflt, String where) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw bad(where, field + " is " + AdapterJson.show(v.toString()), field + " must be a finite number");
        }
        return v.asDouble();
    }

    private static boolean optBool(JsonNode root, String field, boolean dflt, String where) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw bad(where, field + " is " + AdapterJson.show(v.toString()), field + " must be true or false");
        }
        return v.booleanValue();
    }

    private static List<Map.Entry<String, JsonNode>> entries(JsonNode root, String field, String where) {
        JsonNode v = root.get(field);
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            throw bad(where, field + " is not an object", field + " maps module patterns to values");
        }
        if (v.size() > MAX_PATTERNS) {
            throw bad(where, field + " has " + v.size() + " entries", "at most " + MAX_PATTERNS + " are accepted");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    static List<String> stringList(JsonNode root, String field, String where) {
        JsonNode v = root.get(field);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw bad(where, field + " is not a list", field + " must be a list of module names");
        }
        if (v.size() > MAX_PATTERNS) {
            throw bad(where, field + " has " + v.size() + " entries", "at most " + MAX_PATTERNS + " are accepted");
        }
        for (JsonNode x : v) {
            if (!x.isTextual() || x.textValue().isEmpty()) {
                throw bad(where, field + " holds " + AdapterJson.show(x.toString()), field + " must list non-empty module names");
            }
            out.add(x.textValue());
        }
        return out;
    }
}
