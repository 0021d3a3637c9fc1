package dev.mergelab.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An architecture family as data: which configs it matches and which tensors a checkpoint of it holds.
 * Built-in definitions live in {@code resources/dev/mergelab/model/architectures/*.json}; users can
 * load their own with {@link #load(Path)}. The JSON keys are:
 *
 * <pre>
 * name, description, architectures[], model_types[], layer_count_key, expert_count_key (optional),
 * config_defaults{}, pre_weights[], layer_weights[], post_weights[], naming_variants[], auxiliary_prefixes[],
 * forward{} (optional: what the forward pass needs, see {@link ForwardSpec})
 * weight: {name, is_embed, optional, tied_names[]}
 * naming variant: {description, prefix_rewrites{from: to}}
 * </pre>
 *
 * Parsing is strict (unknown keys, missing placeholders and duplicate names are errors) because a typo
 * in a definition would otherwise silently drop tensors from every merge.
 */
public record ArchitectureDefinition(
        String name,
        String description,
        List<String> architectures,
        List<String> modelTypes,
        String layerCountKey,
        String expertCountKey,
        Map<String, JsonNode> configDefaults,
        List<WeightTemplate> preWeights,
        List<WeightTemplate> layerWeights,
        List<WeightTemplate> postWeights,
        List<NamingVariant> namingVariants,
        List<String> auxiliaryPrefixes,
        ForwardSpec forward) {

    public static final String LAYER_INDEX = "${layer_index}";
    public static final String EXPERT_INDEX = "${expert_index}";

    /** Definition files are small; anything larger is not one. */
    static final long MAX_BYTES = 1 << 20;

    private static final Set<String> TOP_KEYS = Set.of("name", "description", "architectures", "model_types",
            "layer_count_key", "expert_count_key", "config_defaults", "pre_weights", "layer_weights",
            "post_weights", "naming_variants", "auxiliary_prefixes", "forward");
    private static final Set<String> WEIGHT_KEYS = Set.of("name", "is_embed", "optional", "tied_names", "stored_in_out");
    private static final Set<String> VARIANT_KEYS = Set.of("description", "prefix_rewrites");

    public ArchitectureDefinition {
        architectures = List.copyOf(architectures);
        modelTypes = List.copyOf(modelTypes);
        configDefaults = Map.copyOf(configDefaults);
        preWeights = List.copyOf(preWeights);
        layerWeights = List.copyOf(layerWeights);
        postWeights = List.copyOf(postWeights);
        namingVariants = List.copyOf(namingVariants);
        auxiliaryPrefixes = List.copyOf(auxiliaryPrefixes);
        validate(name, expertCountKey, preWeights, layerWeights, postWeights);
        if (forward != null && forward.hasExperts() && expertCountKey == null) {
            throw new IllegalArgumentException("forward.tensors has a router but the definition has no expert_count_key");
        }
    }

    /** A definition without forward-pass data (merging needs none). */
    public ArchitectureDefinition(String name, String description, List<String> architectures, List<String> modelTypes,
                                  String layerCountKey, String expertCountKey, Map<String, JsonNode> configDefaults,
                                  List<WeightTemplate> preWeights, List<WeightTemplate> layerWeights,
                                  List<WeightTemplate> postWeights, List<NamingVariant> namingVariants,
                                  List<String> auxiliaryPrefixes) {
        this(name, description, architectures, modelTypes, layerCountKey, expertCountKey, configDefaults,
                preWeights, layerWeights, postWeights, namingVariants, auxiliaryPrefixes, null);
    }

    /** The forward-pass description, when the family has one. */
    public java.util.Optional<ForwardSpec> forwardSpec() {
        return java.util.Optional.ofNullable(forward);
    }

    /** Reads a user-supplied definition file. */
    public static ArchitectureDefinition load(Path file) {
        return parse(SafeJson.read(file, MAX_BYTES, "architecture definition"), file.toString());
    }

    /** Parses a definition tree; {@code source} names the file in error messages. */
    public static ArchitectureDefinition parse(JsonNode root, String source) {
        if (!root.isObject()) {
            throw bad(source, "the top level must be a JSON object");
        }
        checkKeys(root, TOP_KEYS, source, "definition");
        Map<String, JsonNode> defaults = new LinkedHashMap<>();
        JsonNode d = root.path("config_defaults");
        if (!d.isMissingNode()) {
            if (!d.isObject()) {
                throw bad(source, "config_defaults must be an object");
            }
            d.properties().forEach(e -> defaults.put(e.getKey(), e.getValue().deepCopy()));
        }
        List<NamingVariant> variants = new ArrayList<>();
        for (JsonNode v : array(root, "naming_variants", source)) {
            if (!v.isObject()) {
                throw bad(source, "each naming variant must be an object");
            }
            checkKeys(v, VARIANT_KEYS, source, "naming variant");
            JsonNode rw = v.path("prefix_rewrites");
            if (!rw.isObject() || rw.isEmpty()) {
                throw bad(source, "a naming variant needs a non-empty prefix_rewrites object");
            }
            Map<String, String> rewrites = new LinkedHashMap<>();
            rw.properties().forEach(e -> {
                if (!e.getValue().isTextual()) {
                    throw bad(source, "prefix_rewrites values must be strings");
                }
                rewrites.put(e.getKey(), e.getValue().asText());
            });
            variants.add(new NamingVariant(optText(v, "description", source, ""), rewrites));
        }
        try {
            return new ArchitectureDefinition(
                    text(root, "name", source),
                    optText(root, "description", source, ""),
                    strings(root, "architectures", source),
                    strings(root, "model_types", source),
                    text(root, "layer_count_key", source),
                    optText(root, "expert_count_key", source, null),
                    defaults,
                    weights(root, "pre_weights", source),
                    weights(root, "layer_weights", source),
                    weights(root, "post_weights", source),
                    variants,
                    strings(root, "auxiliary_prefixes", source),
                    root.has("forward") ? ForwardSpec.parse(root.get("forward")) : null);
        } catch (IllegalArgumentException e) {
            throw bad(source, e.getMessage());
        }
    }

    /** This definition with every tensor name spelled as {@code variant} spells it. */
    public ArchitectureDefinition rewritten(NamingVariant variant) {
        return new ArchitectureDefinition(name, description + " [" + variant.description() + "]",
                architectures, modelTypes, layerCountKey, expertCountKey, configDefaults,
                preWeights.stream().map(w -> w.renamed(variant::apply)).toList(),
                layerWeights.stream().map(w -> w.renamed(variant::apply)).toList(),
                postWeights.stream().map(w -> w.renamed(variant::apply)).toList(),
                List.of(),
                auxiliaryPrefixes.stream().map(variant::apply).toList(),
                forward == null ? null : forward.renamed(variant::apply));
    }

    private static void validate(String name, String expertKey, List<WeightTemplate> pre,
                                 List<WeightTemplate> layers, List<WeightTemplate> post) {
        Set<String> seen = new HashSet<>();
        for (WeightTemplate w : pre) {
            fixedName(w, "pre_weights");
            unique(seen, w.name());
        }
        for (WeightTemplate w : post) {
            fixedName(w, "post_weights");
            unique(seen, w.name());
        }
        for (WeightTemplate w : layers) {
            if (count(w.name(), LAYER_INDEX) != 1) {
                throw new IllegalArgumentException("layer weight '" + w.name() + "' must contain "
                        + LAYER_INDEX + " exactly once");
            }
            int experts = count(w.name(), EXPERT_INDEX);
            if (experts > 1 || (experts == 1 && expertKey == null)) {
                throw new IllegalArgumentException("layer weight '" + w.name() + "' uses " + EXPERT_INDEX
                        + " more than once or without expert_count_key");
            }
            if (w.name().replace(LAYER_INDEX, "").replace(EXPERT_INDEX, "").contains("${")) {
                throw new IllegalArgumentException("unknown placeholder in '" + w.name() + "'");
            }
            unique(seen, w.name());
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
    }

    private static void fixedName(WeightTemplate w, String section) {
        if (w.name().contains("${")) {
            throw new IllegalArgumentException(section + " entry '" + w.name() + "' must not contain placeholders");
        }
    }

    private static void unique(Set<String> seen, String name) {
        if (name.isEmpty() || !seen.add(name)) {
            throw new IllegalArgumentException("weight name '" + name + "' is empty or listed twice");
        }
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }

    private static List<WeightTemplate> weights(JsonNode root, String key, String source) {
        List<WeightTemplate> out = new ArrayList<>();
        for (JsonNode w : array(root, key, source)) {
            if (!w.isObject()) {
                throw bad(source, key + " entries must be objects");
            }
            checkKeys(w, WEIGHT_KEYS, source, key + " entry");
            out.add(new WeightTemplate(text(w, "name", source), bool(w, "is_embed", source),
                    bool(w, "optional", source), strings(w, "tied_names", source), bool(w, "stored_in_out", source)));
        }
        return out;
    }

    private static Iterable<JsonNode> array(JsonNode node, String key, String source) {
        JsonNode a = node.path(key);
        if (a.isMissingNode()) {
            return List.of();
        }
        if (!a.isArray()) {
            throw bad(source, key + " must be an array");
        }
        return a;
    }

    private static List<String> strings(JsonNode node, String key, String source) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : array(node, key, source)) {
            if (!s.isTextual()) {
                throw bad(source, key + " must hold strings");
            }
            out.add(s.asText());
        }
        return out;
    }

    private static String text(JsonNode node, String key, String source) {
        String s = optText(node, key, source, null);
        if (s == null || s.isBlank()) {
            throw bad(source, "'" + key + "' is required");
        }
        return s;
    }

    private static String optText(JsonNode node, String key, String source, String fallback) {
        JsonNode v = node.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw bad(source, "'" + key + "' must be a string");
        }
        return v.asText();
    }

    private static boolean bool(JsonNode node, String key, String source) {
        JsonNode v = node.path(key);
        if (v.isMissingNode()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw bad(source, "'" + key + "' must be true or false");
        }
        return v.asBoolean();
    }

    private static void checkKeys(JsonNode node, Set<String> allowed, String source, String what) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw bad(source, "unknown key '" + k + "' in " + what);
            }
        }
    }

    private static MergeLabException bad(String source, String why) {
        return MergeLabException.input("architecture definition " + source + ": " + why,
                "see the built-in definitions under dev/mergelab/model/architectures for the format");
    }
}
