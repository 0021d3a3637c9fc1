package dev.mergelab.recipe;

import dev.mergelab.tensor.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * Reads mergekit's recipe schema from the composed YAML graph into a {@link Recipe}, strictly: unknown
 * keys, wrong types, empty lists and inconsistent layer ranges are one-line errors with a line number.
 */
final class RecipeParser {
    static final List<String> TOP_KEYS = List.of("merge_method", "base_model", "models", "slices", "modules",
            "parameters", "dtype", "out_dtype", "tokenizer_source", "tokenizer", "chat_template", "name");
    private static final List<String> MODEL_KEYS = List.of("model", "parameters");
    private static final List<String> SLICE_KEYS = List.of("sources", "parameters", "base_model", "residual_weight");
    private static final List<String> SOURCE_KEYS = List.of("model", "layer_range", "parameters");
    private static final List<String> MODULE_KEYS = List.of("models", "slices", "parameters");
    private static final List<String> TOKENIZER_KEYS = List.of("source", "tokens", "pad_to_multiple_of");
    /** Names suggested for a misspelt dtype; DType.fromUserName accepts more spellings. */
    private static final List<String> DTYPE_NAMES = List.of("bfloat16", "float16", "float32", "float64");

    private final YamlNodes nodes;
    private final ParameterParser params;

    RecipeParser(String source) {
        this.nodes = new YamlNodes(source);
        this.params = new ParameterParser(nodes);
    }

    Recipe parse(String text) {
        Node root = YamlLoader.compose(text, nodes.source());
        if (!(root instanceof org.yaml.snakeyaml.nodes.MappingNode)) {
            throw nodes.error(root, "a recipe must be a mapping with merge_method and models: or slices:, got "
                    + YamlNodes.describe(root));
        }
        SequencedMap<String, NodeTuple> top = nodes.mapping(root, "the recipe", TOP_KEYS);

        Node methodNode = present(top, "merge_method");
        if (methodNode == null) {
            throw nodes.error(root, "missing merge_method", "add e.g. 'merge_method: linear'");
        }
        Located<String> method = new Located<>(nodes.nonBlank(methodNode, "merge_method").strip(), YamlNodes.line(methodNode));

        Optional<ModelRef> base = optional(top, "base_model").map(n -> nodes.modelRef(n, "base_model"));
        Optional<ModelsOrSlices> inputs = Optional.empty();
        SequencedMap<String, OutputModule> modules = new LinkedHashMap<>();
        Node models = present(top, "models");
        Node slices = present(top, "slices");
        Node modulesNode = present(top, "modules");
        int forms = (models != null ? 1 : 0) + (slices != null ? 1 : 0) + (modulesNode != null ? 1 : 0);
        if (forms > 1) {
            Node second = lastOf(models, slices, modulesNode);
            throw nodes.error(second, "use only one of models:, slices: or modules:",
                    "models: merges whole models; slices: picks layer ranges");
        }
        if (models != null) {
            inputs = Optional.of(models(top.get("models"), "models"));
        } else if (slices != null) {
            inputs = Optional.of(slices(top.get("slices"), "slices"));
        } else if (modulesNode != null) {
            modules = modules(modulesNode);
        } else {
            throw nodes.error(root, "the recipe has neither models: nor slices:",
                    "list the models to merge under models:, or layer ranges under slices:");
        }

        Parameters parameters = optional(top, "parameters").map(n -> params.block(n, "parameters")).orElse(Parameters.NONE);
        Optional<DTypeSetting> dtype = optional(top, "dtype").map(n -> dtype(n, "dtype"));
        Optional<DTypeSetting> outDtype = optional(top, "out_dtype").map(n -> dtype(n, "out_dtype"));
        Optional<TokenizerSource> tokenizerSource = optional(top, "tokenizer_source")
                .map(n -> tokenizerSource(n, "tokenizer_source"));
        Optional<TokenizerConfig> tokenizer = optional(top, "tokenizer").map(this::tokenizer);
        if (tokenizerSource.isPresent() && tokenizer.isPresent()) {
            throw nodes.error(top.get("tokenizer").getKeyNode(), "use either tokenizer_source: or tokenizer:, not both");
        }
        Optional<Located<String>> chatTemplate = optional(top, "chat_template")
                .map(n -> new Located<>(nodes.nonBlank(n, "chat_template"), YamlNodes.line(n)));
        Optional<Located<String>> name = optional(top, "name")
                .map(n -> new Located<>(nodes.nonBlank(n, "name"), YamlNodes.line(n)));

        return new Recipe(nodes.source(), text, method, base, inputs, modules, parameters, dtype, outDtype,
                tokenizerSource, tokenizer, chatTemplate, name);
    }

    /** The value node of {@code key}, or null if absent or written as null (upstream treats both alike). */
    private Node present(SequencedMap<String, NodeTuple> map, String key) {
        NodeTuple t = map.get(key);
        return t == null || nodes.isNull(t.getValueNode()) ? null : t.getValueNode();
    }

    private Optional<Node> optional(SequencedMap<String, NodeTuple> map, String key) {
        return Optional.ofNullable(present(map, key));
    }

    private static Node lastOf(Node... candidates) {
        Node last = null;
        for (Node n : candidates) {
            if (n != null && (last == null || YamlNodes.line(n) > YamlNodes.line(last))) {
                last = n;
            }
        }
        return last;
    }

    private ModelsOrSlices.Models models(NodeTuple tuple, String path) {
        List<Node> items = nodes.list(tuple.getValueNode(), path);
        List<InputModel> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String p = path + "[" + i + "]";
            Node item = items.get(i);
            SequencedMap<String, NodeTuple> keys = nodes.mapping(item, p, MODEL_KEYS);
            Node model = present(keys, "model");
            if (model == null) {
                throw nodes.error(item, p + " has no 'model'", "write '- model: org/name'");
            }
            Parameters ps = optional(keys, "parameters").map(n -> params.block(n, p + ".parameters")).orElse(Parameters.NONE);
            out.add(new InputModel(nodes.modelRef(model, p + ".model"), ps, YamlNodes.line(item)));
        }
        return new ModelsOrSlices.Models(out, YamlNodes.line(tuple.getKeyNode()));
    }

    private ModelsOrSlices.Slices slices(NodeTuple tuple, String path) {
        List<Node> items = nodes.list(tuple.getValueNode(), path);
        List<OutputSlice> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(slice(items.get(i), path + "[" + i + "]"));
        }
        return new ModelsOrSlices.Slices(out, YamlNodes.line(tuple.getKeyNode()));
    }

    private OutputSlice slice(Node node, String path) {
        SequencedMap<String, NodeTuple> keys = nodes.mapping(node, path, SLICE_KEYS);
        Node sourcesNode = present(keys, "sources");
        if (sourcesNode == null) {
            throw nodes.error(node, path + " has no 'sources'", "list '- model: ...' with 'layer_range: [a, b]'");
        }
        List<Node> items = nodes.list(sourcesNode, path + ".sources");
        List<InputSlice> sources = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            InputSlice s = source(items.get(i), path + ".sources[" + i + "]");
            InputSlice first = sources.isEmpty() ? s : sources.getFirst();
            if (s.layerRange().count() != first.layerRange().count()) {
                throw nodes.error(items.get(i), path + ".sources[" + i + "] has " + s.layerRange().count()
                        + " layers but sources[0] has " + first.layerRange().count(),
                        "all sources of a slice must cover the same number of layers");
            }
            sources.add(s);
        }
        Optional<ModelRef> base = optional(keys, "base_model").map(n -> nodes.modelRef(n, path + ".base_model"));
        Optional<Located<Double>> residual = optional(keys, "residual_weight")
                .map(n -> new Located<>(nodes.number(n, path + ".residual_weight"), YamlNodes.line(n)));
        Parameters ps = optional(keys, "parameters").map(n -> params.block(n, path + ".parameters")).orElse(Parameters.NONE);
        return new OutputSlice(sources, base, residual, ps, YamlNodes.line(node));
    }

    private InputSlice source(Node node, String path) {
        SequencedMap<String, NodeTuple> keys = nodes.mapping(node, path, SOURCE_KEYS);
        Node model = present(keys, "model");
        if (model == null) {
            throw nodes.error(node, path + " has no 'model'");
        }
        Node range = present(keys, "layer_range");
        if (range == null) {
            throw nodes.error(node, path + " has no 'layer_range'", "add 'layer_range: [start, end]' (end exclusive)");
        }
        Parameters ps = optional(keys, "parameters").map(n -> params.block(n, path + ".parameters")).orElse(Parameters.NONE);
        return new InputSlice(nodes.modelRef(model, path + ".model"), layerRange(range, path + ".layer_range"), ps,
                YamlNodes.line(node));
    }

    private LayerRange layerRange(Node node, String path) {
        String hint = "write [start, end] with 0 <= start < end; end is exclusive";
        List<Node> items = nodes.list(node, path);
        if (items.size() != 2) {
            throw nodes.error(node, path + " must be two integers [start, end], got " + items.size() + " items", hint);
        }
        int start = nodes.integer(items.get(0), path + "[0]");
        int end = nodes.integer(items.get(1), path + "[1]");
        if (start < 0 || end < 0) {
            throw nodes.error(node, path + " [" + start + ", " + end + "] has a negative layer index", hint);
        }
        if (start >= end) {
            throw nodes.error(node, path + " [" + start + ", " + end + "] is empty: start must be below end", hint);
        }
        return new LayerRange(start, end, YamlNodes.line(node));
    }

    private SequencedMap<String, OutputModule> modules(Node node) {
        SequencedMap<String, OutputModule> out = new LinkedHashMap<>();
        if (!(node instanceof org.yaml.snakeyaml.nodes.MappingNode map)) {
            throw nodes.error(node, "modules must be a mapping of module name to its models or slices, got "
                    + YamlNodes.describe(node));
        }
        if (map.getValue().isEmpty()) {
            throw nodes.error(node, "modules is empty");
        }
        for (NodeTuple t : map.getValue()) {
            String name = nodes.key(t.getKeyNode(), "modules");
            String path = "modules." + name;
            if (out.containsKey(name)) {
                throw nodes.error(t.getKeyNode(), "duplicate module '" + name + "'");
            }
            SequencedMap<String, NodeTuple> keys = nodes.mapping(t.getValueNode(), path, MODULE_KEYS);
            Node m = present(keys, "models");
            Node s = present(keys, "slices");
            if ((m == null) == (s == null)) {
                throw nodes.error(t.getValueNode(), path + " needs exactly one of models: or slices:");
            }
            ModelsOrSlices inputs = m != null ? models(keys.get("models"), path + ".models")
                    : slices(keys.get("slices"), path + ".slices");
            Parameters ps = optional(keys, "parameters").map(n -> params.block(n, path + ".parameters")).orElse(Parameters.NONE);
            out.put(name, new OutputModule(name, inputs, ps, YamlNodes.line(t.getKeyNode())));
        }
        return out;
    }

    private DTypeSetting dtype(Node node, String path) {
        String written = nodes.nonBlank(node, path).strip();
        DType d = DType.fromUserName(written);
        if (d == null || !d.isFloating()) {
            throw nodes.error(node, "unknown " + path + " '" + written + "'" + RecipeErrors.didYouMean(written, DTYPE_NAMES),
                    "use one of " + String.join(", ", DTYPE_NAMES));
        }
        return new DTypeSetting(d, written, YamlNodes.line(node));
    }

    private TokenizerSource tokenizerSource(Node node, String path) {
        String s = nodes.nonBlank(node, path).strip();
        return switch (s) {
            case "base" -> new TokenizerSource.Base(YamlNodes.line(node));
            case "union" -> throw nodes.error(node, path + ": union (a merged vocabulary) is not supported yet",
                    "use 'base' or a model reference whose tokenizer the output should keep");
            default -> new TokenizerSource.Model(new ModelRef(s, YamlNodes.line(node)));
        };
    }

    private TokenizerConfig tokenizer(Node node) {
        SequencedMap<String, NodeTuple> keys = nodes.mapping(node, "tokenizer", TOKENIZER_KEYS);
        if (present(keys, "tokens") != null) {
            throw nodes.error(keys.get("tokens").getKeyNode(), "tokenizer.tokens is not supported yet",
                    "remove it; per-token embedding sources need the union tokenizer");
        }
        Node sourceNode = present(keys, "source");
        if (sourceNode == null) {
            // Upstream's default source is union, which we refuse; say so instead of guessing.
            throw nodes.error(node, "tokenizer has no source (upstream defaults to union, which is not supported yet)",
                    "add 'source: base' or a model reference");
        }
        TokenizerSource source = tokenizerSource(sourceNode, "tokenizer.source");
        Optional<Located<Integer>> pad = optional(keys, "pad_to_multiple_of").map(n -> {
            int v = nodes.integer(n, "tokenizer.pad_to_multiple_of");
            if (v <= 0) {
                throw nodes.error(n, "tokenizer.pad_to_multiple_of must be a positive integer, got " + v);
            }
            return new Located<>(v, YamlNodes.line(n));
        });
        return new TokenizerConfig(source, pad, YamlNodes.line(node));
    }
}
