package dev.mergelab.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A model's config.json: the few values merging needs, read defensively, plus the whole tree so the
 * output folder gets the input's config with only the values a merge changed.
 *
 * <p>Text-model values are looked up in {@code text_config} first (Gemma 3 and other multimodal
 * wrappers keep the decoder's values there), then at the top level, then in the matching family's
 * {@code config_defaults} (Transformers omits values equal to the class defaults, e.g. Gemma 3's
 * vocabulary size). Immutable: the {@code with...} methods return changed copies.
 */
public final class ModelConfig {

    /** Real config.json files are a few KiB; 16 MiB leaves room for odd ones and stops hostile ones. */
    public static final long MAX_BYTES = 16L << 20;

    private static final List<String> LAYER_KEYS = List.of("num_hidden_layers", "n_layer", "num_layers");
    private static final List<String> HIDDEN_KEYS = List.of("hidden_size", "n_embd", "d_model");
    private static final List<String> INTERMEDIATE_KEYS = List.of("intermediate_size", "n_inner", "ffn_dim");
    private static final List<String> DTYPE_KEYS = List.of("torch_dtype", "dtype");
    /** Per-layer arrays that must follow the layers when a merge restacks them. */
    private static final List<String> PER_LAYER_ARRAYS = List.of("layer_types");

    private final ObjectNode root;
    private final String source;
    // Computed on first use; a race only computes the same map twice.
    private volatile Map<String, JsonNode> familyDefaults;

    private ModelConfig(ObjectNode root, String source) {
        this.root = root;
        this.source = source;
        validateShape();
    }

    /** Reads {@code folder/config.json}. */
    public static ModelConfig readFolder(Path folder) {
        return read(SafePaths.resolveInside(folder, "config.json"));
    }

    /** Reads a config.json file. */
    public static ModelConfig read(Path configJson) {
        JsonNode node = SafeJson.read(configJson, MAX_BYTES, "config");
        return fromTree(node, configJson.toString());
    }

    /** Parses config.json text; {@code source} names it in error messages. */
    public static ModelConfig parse(String json, String source) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_BYTES) {
            throw MergeLabException.input("config " + source + " is over " + MAX_BYTES + " bytes", null);
        }
        return fromTree(SafeJson.parse(bytes, source, "config"), source);
    }

    private static ModelConfig fromTree(JsonNode node, String source) {
        if (!(node instanceof ObjectNode obj)) {
            throw MergeLabException.input("config " + source + " must be a JSON object",
                    "repair or re-download config.json");
        }
        checkNoLoneSurrogates(obj, source);
        return new ModelConfig(obj, source);
    }

    /**
     * Found by fuzzing: Jackson accepts an escaped unpaired surrogate ("\udbbb") in a string, but such a
     * string has no UTF-8 form, so the config.json written into the output folder came out different from the
     * input (the round trip changed the value). Refuse it up front; no real config holds one.
     */
    private static void checkNoLoneSurrogates(JsonNode node, String source) {
        // Also found by fuzzing: a number beyond double range (1e400) became Infinity, which Jackson writes back
        // as the string "Infinity", so the output's config changed type. No real config holds such a number.
        if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
            throw MergeLabException.input("config " + source + " holds a number beyond the range of a double",
                    "repair or re-download config.json");
        }
        if (node.isTextual() && hasLoneSurrogate(node.textValue())) {
            throw MergeLabException.input("config " + source + " holds a string with an unpaired UTF-16 surrogate escape",
                    "repair or re-download config.json");
        }
        if (node.isObject()) {
            for (var e : node.properties()) {
                if (hasLoneSurrogate(e.getKey())) {
                    throw MergeLabException.input("config " + source + " holds a key with an unpaired UTF-16 surrogate escape",
                            "repair or re-download config.json");
                }
                checkNoLoneSurrogates(e.getValue(), source);
            }
        } else if (node.isArray()) {
            for (JsonNode child : node) {
                checkNoLoneSurrogates(child, source);
            }
        }
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** Where this config came from (a path or a label), for messages. */
    public String source() {
        return source;
    }

    /** A copy of the whole tree. */
    public ObjectNode raw() {
        return root.deepCopy();
    }

    /** The config as JSON text, indented, for the output folder. */
    public String toJson() {
        try {
            return SafeJson.MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a tree we parsed", e);
        }
    }

    /** {@code architectures} at the top level (or in text_config when the top level has none). */
    public List<String> architectures() {
        List<String> top = stringList(root.get("architectures"));
        return top.isEmpty() ? stringList(textConfig().map(t -> t.get("architectures")).orElse(null)) : top;
    }

    /** The top-level {@code model_type}. */
    public Optional<String> modelType() {
        return text(root, "model_type");
    }

    /** {@code text_config.model_type}, for multimodal wrappers. */
    public Optional<String> textModelType() {
        return textConfig().flatMap(t -> text(t, "model_type"));
    }

    public boolean hasTextConfig() {
        return textConfig().isPresent();
    }

    public OptionalInt numHiddenLayers() {
        return firstInt(LAYER_KEYS);
    }

    public OptionalInt hiddenSize() {
        return firstInt(HIDDEN_KEYS);
    }

    public OptionalInt intermediateSize() {
        return firstInt(INTERMEDIATE_KEYS);
    }

    public OptionalInt vocabSize() {
        return intValue("vocab_size");
    }

    public OptionalInt numLocalExperts() {
        return intValue("num_local_experts");
    }

    /**
     * Whether the output head reuses the embedding: the config's value, else the family's default,
     * else Transformers' base default (true).
     */
    public boolean tieWordEmbeddings() {
        JsonNode v = lookup("tie_word_embeddings");
        if (v == null || v.isNull()) {
            return true;
        }
        if (!v.isBoolean()) {
            throw bad("tie_word_embeddings must be true or false, found " + clip(v));
        }
        return v.booleanValue();
    }

    /** {@code torch_dtype} (or {@code dtype}, which newer Transformers writes); empty when absent or unknown. */
    public Optional<DType> torchDtype() {
        for (String key : DTYPE_KEYS) {
            JsonNode v = lookup(key);
            if (v != null && v.isTextual()) {
                return Optional.ofNullable(DType.fromUserName(v.asText()));
            }
        }
        return Optional.empty();
    }

    /** Any whole-number value by key, with the text_config / top level / family default precedence. */
    public OptionalInt intValue(String key) {
        JsonNode v = lookup(key);
        if (v == null || v.isNull()) {
            return OptionalInt.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw bad(key + " must be a non-negative whole number, found " + clip(v));
        }
        return OptionalInt.of(v.intValue());
    }

    /**
     * Any value by key with the text_config / top level / family default precedence; empty when absent or null.
     * The forward pass reads its hyper-parameters (floats, lists, rope objects) through this.
     */
    public Optional<JsonNode> value(String key) {
        JsonNode v = lookup(key);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.deepCopy());
    }

    /** A copy with {@code torch_dtype} (and {@code dtype} where present) set. */
    public ModelConfig withDtype(DType dtype) {
        ObjectNode copy = root.deepCopy();
        boolean written = false;
        for (ObjectNode container : containers(copy)) {
            for (String key : DTYPE_KEYS) {
                if (container.has(key)) {
                    container.put(key, dtype.torchName());
                    written = true;
                }
            }
        }
        if (!written) {
            copy.put("torch_dtype", dtype.torchName());
        }
        return new ModelConfig(copy, source);
    }

    /** A copy with the vocabulary size set (after a merge cut embeddings to a common vocabulary). */
    public ModelConfig withVocabSize(int vocabSize) {
        return withInt(List.of("vocab_size"), vocabSize);
    }

    /** A copy with the layer count set; per-layer arrays are dropped if their length no longer fits. */
    public ModelConfig withLayerCount(int layers) {
        int[] identity = new int[layers];
        for (int i = 0; i < layers; i++) {
            identity[i] = i;
        }
        return withLayers(identity);
    }

    /**
     * A copy for a model whose layer {@code i} was taken from input layer {@code sourceLayers[i]}
     * (passthrough stacking): sets the layer count and rebuilds per-layer arrays such as
     * {@code layer_types} (sliding vs full attention) in the new order.
     */
    public ModelConfig withLayers(int[] sourceLayers) {
        ModelConfig counted = withInt(LAYER_KEYS, sourceLayers.length);
        int oldCount = numHiddenLayers().orElse(-1);
        for (ObjectNode container : containers(counted.root)) {
            for (String key : PER_LAYER_ARRAYS) {
                JsonNode arr = container.get(key);
                if (!(arr instanceof ArrayNode old)) {
                    continue;
                }
                ArrayNode fresh = container.arrayNode();
                boolean fits = old.size() == oldCount;
                for (int src : sourceLayers) {
                    if (src < 0 || src >= old.size()) {
                        fits = false;
                        break;
                    }
                    fresh.add(old.get(src).deepCopy());
                }
                if (fits) {
                    container.set(key, fresh);
                } else {
                    // A stale per-layer list would make Transformers reject the config; without it the
                    // model class derives the pattern from its other settings.
                    container.remove(key);
                }
            }
        }
        return counted;
    }

    private ModelConfig withInt(List<String> aliases, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative " + aliases.getFirst());
        }
        ObjectNode copy = root.deepCopy();
        boolean written = false;
        for (ObjectNode container : containers(copy)) {
            for (String key : aliases) {
                if (container.has(key)) {
                    container.put(key, value);
                    written = true;
                }
            }
        }
        if (!written) {
            containers(copy).getFirst().put(aliases.getFirst(), value);
        }
        return new ModelConfig(copy, source);
    }

    /** text_config first when present, then the top level. */
    private static List<ObjectNode> containers(ObjectNode root) {
        List<ObjectNode> out = new ArrayList<>(2);
        if (root.get("text_config") instanceof ObjectNode t) {
            out.add(t);
        }
        out.add(root);
        return out;
    }

    private Optional<ObjectNode> textConfig() {
        return root.get("text_config") instanceof ObjectNode t ? Optional.of(t) : Optional.empty();
    }

    private JsonNode lookup(String key) {
        for (ObjectNode c : containers(root)) {
            JsonNode v = c.get(key);
            if (v != null && !v.isNull()) {
                return v;
            }
        }
        return defaults().get(key);
    }

    private OptionalInt firstInt(List<String> keys) {
        for (String k : keys) {
            OptionalInt v = intValue(k);
            if (v.isPresent()) {
                return v;
            }
        }
        return OptionalInt.empty();
    }

    private Map<String, JsonNode> defaults() {
        if (familyDefaults == null) {
            familyDefaults = Architectures.builtIn().match(this)
                    .map(ArchitectureDefinition::configDefaults).orElse(Map.of());
        }
        return familyDefaults;
    }

    private void validateShape() {
        JsonNode t = root.get("text_config");
        if (t != null && !t.isNull() && !t.isObject()) {
            throw bad("text_config must be an object");
        }
        for (JsonNode node : new JsonNode[]{root.get("architectures"),
                textConfig().map(c -> c.get("architectures")).orElse(null)}) {
            if (node != null && !node.isNull()) {
                if (!node.isArray()) {
                    throw bad("architectures must be a list of class names");
                }
                node.forEach(a -> {
                    if (!a.isTextual()) {
                        throw bad("architectures must be a list of class names");
                    }
                });
            }
        }
        for (JsonNode c : new JsonNode[]{root, t}) {
            if (c != null && c.has("model_type") && !c.get("model_type").isTextual()) {
                throw bad("model_type must be a string");
            }
        }
    }

    private static List<String> stringList(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node != null && node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        }
        return List.copyOf(out);
    }

    private static Optional<String> text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
    }

    private static String clip(JsonNode v) {
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private MergeLabException bad(String why) {
        return MergeLabException.input("config " + source + ": " + why, "repair or re-download config.json");
    }
}
