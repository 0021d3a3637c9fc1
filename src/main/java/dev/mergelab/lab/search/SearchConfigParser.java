package dev.mergelab.lab.search;

import dev.mergelab.MergeLabException;
import dev.mergelab.lab.search.SearchConfig.Algorithm;
import dev.mergelab.lab.search.SearchConfig.Bounds;
import dev.mergelab.lab.search.SearchConfig.GenomeSpec;
import dev.mergelab.lab.search.SearchConfig.LayerPathSpec;
import dev.mergelab.lab.search.SearchConfig.MergeGenomeSpec;
import dev.mergelab.lab.search.SearchConfig.Objective;
import dev.mergelab.lab.search.SearchConfig.OptimizerSpec;
import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.ParamSpec;
import dev.mergelab.method.ParamType;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads a search configuration: mergekit-evolve's schema ({@code mergekit/evo/config.py} and
 * {@code ModelGenomeDefinition} in {@code genome.py}) with its validation rules, strictly (unknown keys are errors
 * with a line, where pydantic would drop them silently), plus MergeLab's extensions.
 */
public final class SearchConfigParser {
    static final List<String> TOP_KEYS = List.of("genome", "layer_path", "tasks", "limit", "num_fewshot", "shuffle",
            "random_init", "apply_chat_template", "fewshot_as_multiturn", "optimizer");
    static final List<String> GENOME_KEYS = List.of("models", "merge_method", "base_model", "tokenizer_source",
            "layer_granularity", "normalize", "allow_negative_weights", "filters", "smooth", "parameters");
    static final List<String> LAYER_PATH_KEYS = List.of("models", "repeats", "threshold", "tokenizer_source");
    static final List<String> TASK_KEYS = List.of("name", "weight", "metric", "data");
    static final List<String> OPTIMIZER_KEYS = List.of("algorithm", "population_size", "sigma0", "seed", "max_evals",
            "max_time");
    static final List<String> BOUND_KEYS = List.of("min", "max");

    /** mergekit-evolve's METHOD_PARAM_MAPS: the methods its genome knows and the per-model parameters it searches. */
    static final Map<String, List<String>> MERGEKIT_PARAMS = Map.of(
            "linear", List.of("weight"),
            "task_arithmetic", List.of("weight"),
            "ties", List.of("weight", "density"),
            "dare_ties", List.of("weight", "density"),
            "slerp", List.of("t"));
    /** Methods mergekit-evolve's validator requires a base_model for. */
    private static final List<String> NEED_BASE = List.of("ties", "dare_ties", "task_arithmetic");
    /** Parameters mergekit's genome transforms itself (abs, clamp); any other searched parameter needs bounds. */
    static final List<String> TRANSFORMED = List.of("weight", "density", "t");

    private final SearchYaml yaml;

    private SearchConfigParser(String source) {
        this.yaml = new SearchYaml(source);
    }

    public static SearchConfig parse(Path path) {
        String source = path.toString();
        SearchYaml y = new SearchYaml(source);
        try {
            if (Files.size(path) > SearchYaml.MAX_CHARS) {
                throw y.at(0, "the file is larger than " + SearchYaml.MAX_CHARS + " bytes", "a search configuration is a small YAML file");
            }
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path))).toString();
            return parse(text, source);
        } catch (NoSuchFileException e) {
            throw y.at(0, "search configuration not found", null);
        } catch (CharacterCodingException e) {
            throw y.at(0, "not valid UTF-8 text", null);
        } catch (IOException e) {
            throw y.at(0, "cannot read: " + e.getMessage(), null);
        }
    }

    public static SearchConfig parse(String text, String source) {
        return new SearchConfigParser(source).read(text);
    }

    private SearchConfig read(String text) {
        Node root = yaml.compose(text);
        SequencedMap<String, NodeTuple> top = yaml.mapping(root, "the search configuration", TOP_KEYS);
        Node genomeNode = yaml.value(top, "genome");
        Node pathNode = yaml.value(top, "layer_path");
        if (genomeNode != null && pathNode != null) {
            throw yaml.error(top.get("layer_path").getKeyNode(), "use either genome: or layer_path:, not both");
        }
        if (genomeNode == null && pathNode == null) {
            throw yaml.error(root, "missing genome:", "describe the search space under genome: (or layer_path: for a layer-path search)");
        }
        GenomeSpec genome = genomeNode != null ? genome(genomeNode) : layerPath(pathNode);
        Node tasksNode = yaml.value(top, "tasks");
        if (tasksNode == null) {
            throw yaml.error(root, "missing tasks:", "list the evaluation tasks, e.g. '- name: ppl:held_out.txt'");
        }
        List<Objective> tasks = tasks(tasksNode);
        Optional<Integer> limit = optionalInt(top, "limit", 1);
        Optional<Integer> fewshot = optionalInt(top, "num_fewshot", 0);
        // mergekit-evolve shuffles with an unseeded generator in each evaluation actor; a search here scores every
        // candidate on one fixed sample (each task's first documents), so shuffling is refused rather than ignored
        unsupportedTrue(top, "shuffle", "a search scores every candidate on the same first documents of each task",
                "set it to false, or put the sample you want first in the task's data");
        boolean randomInit = flag(top, "random_init", false);
        unsupportedTrue(top, "apply_chat_template", "MergeLab's eval scores log-likelihoods without a chat template");
        unsupportedTrue(top, "fewshot_as_multiturn", "it needs apply_chat_template, which MergeLab's eval does not apply");
        OptimizerSpec optimizer = optimizer(yaml.value(top, "optimizer"), tasks.size());
        return new SearchConfig(yaml.source(), genome, tasks, limit, fewshot, randomInit, optimizer);
    }

    private void unsupportedTrue(SequencedMap<String, NodeTuple> map, String key, String why) {
        unsupportedTrue(map, key, why, "set it to false (mergekit-evolve defaults it to true)");
    }

    private void unsupportedTrue(SequencedMap<String, NodeTuple> map, String key, String why, String hint) {
        Node n = yaml.value(map, key);
        if (n != null && yaml.bool(n, key)) {
            throw yaml.error(n, key + ": true is not supported: " + why, hint);
        }
    }

    private boolean flag(SequencedMap<String, NodeTuple> map, String key, boolean dflt) {
        Node n = yaml.value(map, key);
        return n == null ? dflt : yaml.bool(n, key);
    }

    private Optional<Integer> optionalInt(SequencedMap<String, NodeTuple> map, String key, int min) {
        Node n = yaml.value(map, key);
        if (n == null) {
            return Optional.empty();
        }
        long v = yaml.integer(n, key);
        if (v < min || v > Integer.MAX_VALUE) {
            throw yaml.error(n, key + " must be at least " + min + ", got " + v);
        }
        return Optional.of((int) v);
    }

    private List<String> strings(Node node, String path) {
        List<String> out = new ArrayList<>();
        List<Node> items = yaml.list(node, path);
        for (int i = 0; i < items.size(); i++) {
            out.add(yaml.string(items.get(i), path + "[" + i + "]"));
        }
        return out;
    }

    private List<String> models(SequencedMap<String, NodeTuple> keys, Node owner, String path) {
        Node n = yaml.value(keys, "models");
        if (n == null) {
            throw yaml.error(owner, path + " has no models", "list the models to merge under models:");
        }
        List<String> models = strings(n, path + ".models");
        List<Node> items = yaml.list(n, path + ".models");
        for (int i = 0; i < models.size(); i++) {
            if (models.subList(0, i).contains(models.get(i))) {
                throw yaml.error(items.get(i), path + ".models[" + i + "] repeats " + models.get(i));
            }
        }
        return models;
    }

    private MergeGenomeSpec genome(Node node) {
        SequencedMap<String, NodeTuple> keys = yaml.mapping(node, "genome", GENOME_KEYS);
        List<String> models = models(keys, node, "genome");
        Node methodNode = yaml.value(keys, "merge_method");
        if (methodNode == null) {
            throw yaml.error(node, "genome has no merge_method", "e.g. 'merge_method: ties', or a list of methods to choose from");
        }
        List<String> methods = methodNode instanceof ScalarNode ? List.of(yaml.string(methodNode, "genome.merge_method"))
                : strings(methodNode, "genome.merge_method");
        for (String m : methods) {
            if (MethodRegistry.get(m) == null) {
                throw yaml.error(methodNode, "unknown merge method '" + m + "' in genome.merge_method (did you mean '"
                        + MethodRegistry.closest(m) + "'?)");
            }
            if (methods.indexOf(m) != methods.lastIndexOf(m)) {
                throw yaml.error(methodNode, "genome.merge_method lists " + m + " twice");
            }
        }
        Optional<String> base = Optional.ofNullable(yaml.value(keys, "base_model")).map(n -> yaml.string(n, "genome.base_model"));
        Optional<String> tokenizer = Optional.ofNullable(yaml.value(keys, "tokenizer_source"))
                .map(n -> yaml.string(n, "genome.tokenizer_source"));
        int granularity = 0;
        Node g = yaml.value(keys, "layer_granularity");
        if (g != null) {
            long v = yaml.integer(g, "genome.layer_granularity");
            // mergekit treats any value below 1 as "one group for all layers"
            granularity = (int) Math.max(0, Math.min(v, Integer.MAX_VALUE));
        }
        Optional<Boolean> normalize = Optional.ofNullable(yaml.value(keys, "normalize")).map(n -> yaml.bool(n, "genome.normalize"));
        boolean negative = flag(keys, "allow_negative_weights", false);
        List<String> filters = Optional.ofNullable(yaml.value(keys, "filters")).map(n -> strings(n, "genome.filters")).orElse(List.of());
        boolean smooth = flag(keys, "smooth", false);
        Node paramsNode = yaml.value(keys, "parameters");

        if (normalize.isPresent() && methods.stream().noneMatch(m -> MethodRegistry.get(m).spec().param("normalize") != null)) {
            throw yaml.error(keys.get("normalize").getKeyNode(), "genome.normalize is set, but " + String.join(", ", methods)
                    + " take" + (methods.size() == 1 ? "s" : "") + " no normalize parameter", "remove it");
        }
        for (String m : methods) {
            if (NEED_BASE.contains(m) && base.isEmpty()) {
                throw yaml.error(methodNode, "genome.base_model is required for merge method " + m);
            }
        }
        if (methods.contains("slerp")) {
            if (methods.size() > 1) {
                throw yaml.error(methodNode, "slerp cannot be one of several methods: its genome picks two models per slice",
                        "search slerp on its own");
            }
            if (smooth) {
                throw yaml.error(keys.get("smooth").getKeyNode(), "smooth is not supported for slerp merge method");
            }
            if (!filters.isEmpty()) {
                throw yaml.error(keys.get("filters").getKeyNode(), "tensor name filtering is not supported for slerp merge method");
            }
            if (paramsNode != null) {
                throw yaml.error(paramsNode, "genome.parameters cannot be set for slerp: its genome searches t alone");
            }
        }
        SequencedMap<String, Optional<Bounds>> params = new LinkedHashMap<>();
        if (paramsNode == null) {
            for (String m : methods) {
                List<String> names = MERGEKIT_PARAMS.get(m);
                if (names == null) {
                    throw yaml.error(methodNode, "mergekit-evolve has no parameter map for " + m,
                            "list the searched parameters and their bounds under genome.parameters");
                }
                names.forEach(p -> params.putIfAbsent(p, Optional.empty()));
            }
        } else {
            if (!(paramsNode instanceof MappingNode)) {
                throw yaml.error(paramsNode, "genome.parameters must be a mapping of parameter: {min, max}");
            }
            for (NodeTuple t : ((MappingNode) paramsNode).getValue()) {
                String name = yaml.string(t.getKeyNode(), "genome.parameters key");
                if (params.containsKey(name)) {
                    throw yaml.error(t.getKeyNode(), "duplicate parameter '" + name + "' in genome.parameters");
                }
                Optional<Bounds> b = yaml.isNull(t.getValueNode()) ? Optional.empty()
                        : Optional.of(bounds(t.getValueNode(), "genome.parameters." + name));
                if (b.isEmpty() && !TRANSFORMED.contains(name)) {
                    throw yaml.error(t.getKeyNode(), "genome.parameters." + name + " needs bounds",
                            "write '" + name + ": {min: A, max: B}'");
                }
                for (String m : methods) {
                    checkSearchable(t.getKeyNode(), m, name);
                }
                params.put(name, b);
            }
            if (params.isEmpty()) {
                throw yaml.error(paramsNode, "genome.parameters is empty");
            }
        }
        return new MergeGenomeSpec(models, methods, base, tokenizer, granularity, normalize, negative, filters, smooth, params);
    }

    private void checkSearchable(Node at, String method, String name) {
        MergeMethod mm = MethodRegistry.get(method);
        ParamSpec p = mm.spec().param(name);
        if (p == null) {
            List<String> numeric = mm.spec().params().stream().filter(s -> s.type() == ParamType.NUMBER).map(ParamSpec::name).toList();
            throw yaml.error(at, "merge method " + method + " has no parameter '" + name + "'",
                    numeric.isEmpty() ? null : "its numeric parameters: " + String.join(", ", numeric));
        }
        if (p.type() != ParamType.NUMBER) {
            throw yaml.error(at, "parameter '" + name + "' of " + method + " is not a number and cannot be searched");
        }
    }

    private Bounds bounds(Node node, String path) {
        double min;
        double max;
        if (node instanceof MappingNode) {
            SequencedMap<String, NodeTuple> k = yaml.mapping(node, path, BOUND_KEYS);
            Node a = yaml.value(k, "min");
            Node b = yaml.value(k, "max");
            if (a == null || b == null) {
                throw yaml.error(node, path + " needs both min and max");
            }
            min = yaml.number(a, path + ".min");
            max = yaml.number(b, path + ".max");
        } else {
            List<Node> items = yaml.list(node, path);
            if (items.size() != 2) {
                throw yaml.error(node, path + " must be [min, max] or {min: A, max: B}");
            }
            min = yaml.number(items.get(0), path + "[0]");
            max = yaml.number(items.get(1), path + "[1]");
        }
        if (!(min < max)) {
            throw yaml.error(node, path + ": min " + min + " must be below max " + max);
        }
        return new Bounds(min, max);
    }

    private LayerPathSpec layerPath(Node node) {
        SequencedMap<String, NodeTuple> keys = yaml.mapping(node, "layer_path", LAYER_PATH_KEYS);
        List<String> models = models(keys, node, "layer_path");
        int repeats = 1;
        Node r = yaml.value(keys, "repeats");
        if (r != null) {
            long v = yaml.integer(r, "layer_path.repeats");
            if (v < 1 || v > 64) {
                throw yaml.error(r, "layer_path.repeats must be between 1 and 64, got " + v);
            }
            repeats = (int) v;
        }
        Node th = yaml.value(keys, "threshold");
        double threshold = th == null ? 0.0 : yaml.number(th, "layer_path.threshold");
        Optional<String> tokenizer = Optional.ofNullable(yaml.value(keys, "tokenizer_source"))
                .map(n -> yaml.string(n, "layer_path.tokenizer_source"));
        return new LayerPathSpec(models, repeats, threshold, tokenizer);
    }

    private List<Objective> tasks(Node node) {
        List<Node> items = yaml.list(node, "tasks");
        List<Objective> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            String path = "tasks[" + i + "]";
            Objective o;
            if (item instanceof ScalarNode) {
                // mergekit's TaskConfiguration accepts a bare task name
                o = new Objective(yaml.string(item, path), 1.0, "acc,none", Optional.empty(), SearchYaml.line(item));
            } else {
                SequencedMap<String, NodeTuple> k = yaml.mapping(item, path, TASK_KEYS);
                Node name = yaml.value(k, "name");
                if (name == null) {
                    throw yaml.error(item, path + " has no name", "write '- name: TASK'");
                }
                double weight = Optional.ofNullable(yaml.value(k, "weight")).map(n -> yaml.number(n, path + ".weight")).orElse(1.0);
                String metric = Optional.ofNullable(yaml.value(k, "metric")).map(n -> yaml.string(n, path + ".metric")).orElse("acc,none");
                if (!metric.contains(",")) {
                    throw yaml.error(k.get("metric").getValueNode(), path + ".metric '" + metric + "' lacks its filter",
                            "write it as lm-eval names it, e.g. '" + metric + ",none'");
                }
                Optional<String> data = Optional.ofNullable(yaml.value(k, "data")).map(n -> yaml.string(n, path + ".data"));
                o = new Objective(yaml.string(name, path + ".name"), weight, metric, data, SearchYaml.line(item));
            }
            for (Objective prev : out) {
                if (prev.name().equals(o.name()) && prev.metric().equals(o.metric())) {
                    throw yaml.error(item, path + " repeats task " + o.name() + " with metric " + o.metric());
                }
            }
            out.add(o);
        }
        return out;
    }

    private OptimizerSpec optimizer(Node node, int tasks) {
        Algorithm algorithm = tasks > 1 ? Algorithm.NSGA2 : Algorithm.CMA_ES;
        Optional<Integer> pop = Optional.empty();
        double sigma0 = 1.0 / 6;
        long seed = 0;
        int maxEvals = 100;
        Optional<Double> maxSeconds = Optional.empty();
        if (node == null) {
            return new OptimizerSpec(algorithm, pop, sigma0, seed, maxEvals, maxSeconds);
        }
        SequencedMap<String, NodeTuple> k = yaml.mapping(node, "optimizer", OPTIMIZER_KEYS);
        Node a = yaml.value(k, "algorithm");
        if (a != null) {
            String name = yaml.string(a, "optimizer.algorithm");
            algorithm = switch (name) {
                case "cma-es", "cmaes", "cma_es" -> Algorithm.CMA_ES;
                case "nsga2", "nsga-ii", "nsga_ii" -> Algorithm.NSGA2;
                default -> throw yaml.error(a, "unknown optimizer.algorithm '" + name + "'", "use cma-es or nsga2");
            };
        }
        Node p = yaml.value(k, "population_size");
        if (p != null) {
            long v = yaml.integer(p, "optimizer.population_size");
            if (v < 2 || v > 10_000) {
                throw yaml.error(p, "optimizer.population_size must be between 2 and 10000, got " + v);
            }
            pop = Optional.of((int) v);
        }
        Node s = yaml.value(k, "sigma0");
        if (s != null) {
            sigma0 = yaml.number(s, "optimizer.sigma0");
            if (!(sigma0 > 0)) {
                throw yaml.error(s, "optimizer.sigma0 must be above 0, got " + sigma0);
            }
        }
        Node sd = yaml.value(k, "seed");
        if (sd != null) {
            seed = yaml.integer(sd, "optimizer.seed");
        }
        Node me = yaml.value(k, "max_evals");
        if (me != null) {
            long v = yaml.integer(me, "optimizer.max_evals");
            if (v < 1 || v > 10_000_000) {
                throw yaml.error(me, "optimizer.max_evals must be at least 1, got " + v);
            }
            maxEvals = (int) v;
        }
        Node mt = yaml.value(k, "max_time");
        if (mt != null) {
            maxSeconds = Optional.of(duration(mt));
        }
        return new OptimizerSpec(algorithm, pop, sigma0, seed, maxEvals, maxSeconds);
    }

    /** Seconds, as a number or as text with a unit: {@code 90}, {@code 90s}, {@code 30m}, {@code 2h}. */
    private double duration(Node node) {
        String path = "optimizer.max_time";
        double seconds;
        if (node instanceof ScalarNode s && s.getTag().equals(org.yaml.snakeyaml.nodes.Tag.STR)) {
            String text = s.getValue().strip();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([smh])").matcher(text);
            if (!m.matches()) {
                throw yaml.error(node, path + " '" + text + "' is not a duration", "write seconds, or e.g. 90s, 30m, 2h");
            }
            seconds = Double.parseDouble(m.group(1)) * switch (m.group(2)) {
                case "m" -> 60;
                case "h" -> 3600;
                default -> 1;
            };
        } else {
            seconds = yaml.number(node, path);
        }
        if (!(seconds > 0)) {
            throw yaml.error(node, path + " must be above 0");
        }
        return seconds;
    }

    /** For callers that need a one-line input error in the configuration's terms. */
    static MergeLabException error(String source, int line, String message) {
        return new SearchYaml(source).at(line, message, null);
    }
}
