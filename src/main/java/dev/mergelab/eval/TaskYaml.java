package dev.mergelab.eval;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads an lm-eval task YAML file (the schema of lm_eval/config/task.py TaskConfig at 4e7e0d47) into a
 * {@link TaskConfig}: {@code include} (a path relative to the file, merged under the file's own keys as
 * lm-eval's load_yaml_config does), {@code !function} naming one of the Python functions MergeLab has in Java,
 * Jinja or column-name {@code doc_to_*} fields. Every error is one line naming the file and line.
 */
public final class TaskYaml {

    /** Keys that do not change a log-likelihood evaluation and are read without effect, as lm-eval reads them. */
    private static final Set<String> INERT = Set.of("tag", "group", "should_decontaminate", "doc_to_decontamination_query",
            "filter_list", "generation_kwargs", "repeats", "unsafe_code");

    private static final Set<String> KNOWN = Set.of("task", "task_alias", "include", "dataset_path", "dataset_name",
            "training_split", "validation_split", "test_split", "fewshot_split", "process_docs", "doc_to_text",
            "doc_to_target", "doc_to_choice", "process_results", "description", "target_delimiter", "fewshot_delimiter",
            "fewshot_config", "num_fewshot", "metric_list", "output_type", "metadata", "dataset_kwargs");

    /** A {@code !function} value: the Python function's dotted name. */
    record FunctionRef(String name, int line) {
        @Override
        public String toString() {
            return name;
        }
    }

    private record Located(Object value, int line) {
    }

    private TaskYaml() {
    }

    public static TaskConfig load(Path file) {
        Map<String, Located> fields = read(file, 0);
        String source = file.toString();
        TaskConfig c = new TaskConfig();
        c.source = source;
        for (var e : fields.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue().value();
            int line = e.getValue().line();
            c.raw.put(key, plain(v));
            if (INERT.contains(key)) {
                continue;
            }
            if (!KNOWN.contains(key)) {
                throw at(file, line, "key " + key + " is not supported in MergeLab's task files (supported: "
                        + String.join(", ", KNOWN.stream().sorted().toList()) + ")");
            }
            switch (key) {
                case "task" -> c.task = string(file, line, key, v);
                case "task_alias" -> c.taskAlias = string(file, line, key, v);
                case "dataset_path" -> {
                    c.datasetPath = string(file, line, key, v);
                    if (java.nio.file.Files.isDirectory(Path.of(c.datasetPath))) {
                        c.localDataset = Path.of(c.datasetPath);
                    }
                }
                case "dataset_kwargs" -> c.dataFiles = dataFiles(file, line, v);
                case "dataset_name" -> c.datasetName = optString(file, line, key, v);
                case "training_split" -> c.trainingSplit = optString(file, line, key, v);
                case "validation_split" -> c.validationSplit = optString(file, line, key, v);
                case "test_split" -> c.testSplit = optString(file, line, key, v);
                case "fewshot_split" -> c.fewshotSplit = optString(file, line, key, v);
                case "description" -> c.description = v == null ? "" : string(file, line, key, v);
                case "target_delimiter" -> c.targetDelimiter = string(file, line, key, v);
                case "fewshot_delimiter" -> c.fewshotDelimiter = string(file, line, key, v);
                case "output_type" -> {
                    c.outputType = string(file, line, key, v);
                    if (!List.of("loglikelihood", "loglikelihood_rolling", "multiple_choice").contains(c.outputType)) {
                        throw at(file, line, "output_type " + c.outputType + " is not supported (loglikelihood, loglikelihood_rolling, multiple_choice)");
                    }
                }
                case "num_fewshot" -> {
                    if (!(v instanceof Integer i) || i < 0) {
                        throw at(file, line, "num_fewshot must be a whole number >= 0");
                    }
                    c.numFewshot = i;
                }
                case "doc_to_text", "doc_to_target", "doc_to_choice" -> {
                    Object field = v instanceof FunctionRef f ? function(file, f, fields) : v;
                    if (field != null && !(field instanceof String || field instanceof Integer || field instanceof List
                            || field instanceof Map || field instanceof DocFunction.Field)) {
                        throw at(file, line, key + " must be a string (column or Jinja), a number or a list");
                    }
                    switch (key) {
                        case "doc_to_text" -> c.docToText = field;
                        case "doc_to_target" -> c.docToTarget = field;
                        default -> c.docToChoice = field;
                    }
                }
                case "process_docs" -> {
                    if (!(v instanceof FunctionRef f) || !(function(file, f, fields) instanceof DocFunction.Docs d)) {
                        throw at(file, line, "process_docs must be a !function MergeLab knows");
                    }
                    c.processDocs = d;
                }
                case "process_results" -> {
                    if (!(v instanceof FunctionRef f) || !(function(file, f, fields) instanceof DocFunction.Results r)) {
                        throw at(file, line, "process_results must be a !function MergeLab knows");
                    }
                    c.processResults = r;
                }
                case "fewshot_config" -> {
                    if (!(v instanceof Map<?, ?> m)) {
                        throw at(file, line, "fewshot_config must be a mapping");
                    }
                    for (var f : m.entrySet()) {
                        if (!"sampler".equals(f.getKey())) {
                            throw at(file, line, "fewshot_config: only sampler is supported, not " + f.getKey());
                        }
                        c.sampler = String.valueOf(f.getValue());
                        if (!List.of("default", "first_n").contains(c.sampler)) {
                            throw at(file, line, "fewshot_config sampler " + c.sampler + " is not supported (default, first_n)");
                        }
                    }
                }
                case "metric_list" -> c.metricList = metricList(file, line, v);
                case "metadata" -> {
                    if (v instanceof Map<?, ?> m && m.containsKey("version")) {
                        c.version = m.get("version");
                    }
                }
                default -> {
                }
            }
        }
        if (c.task == null) {
            throw at(file, 1, "the task file has no task: name");
        }
        if (c.docToTarget == null) {
            throw at(file, 1, "the task file has no doc_to_target");
        }
        if (c.outputType.equals("generate_until")) {
            throw at(file, 1, "output_type is missing (loglikelihood, loglikelihood_rolling or multiple_choice; generate_until is not supported)");
        }
        if (c.outputType.equals("multiple_choice") && c.docToChoice == null) {
            throw at(file, 1, "a multiple_choice task needs doc_to_choice");
        }
        if (c.docToText == null) {
            c.docToText = "";
        }
        c.source = source;
        return c;
    }

    /** dataset_kwargs: data_files (split to file(s), or file(s) for the train split); other keys change nothing locally. */
    private static Map<String, List<Path>> dataFiles(Path file, int line, Object v) {
        Map<String, List<Path>> out = new LinkedHashMap<>();
        if (!(v instanceof Map<?, ?> kwargs)) {
            throw at(file, line, "dataset_kwargs must be a mapping");
        }
        Object files = kwargs.get("data_files");
        if (files == null) {
            return out;
        }
        if (files instanceof Map<?, ?> bySplit) {
            for (var e : bySplit.entrySet()) {
                out.put(String.valueOf(e.getKey()), paths(file, line, e.getValue()));
            }
        } else {
            out.put("train", paths(file, line, files));
        }
        return out;
    }

    private static List<Path> paths(Path file, int line, Object v) {
        List<Path> out = new ArrayList<>();
        for (Object o : v instanceof List<?> l ? l : List.of(v)) {
            if (!(o instanceof String s)) {
                throw at(file, line, "data_files entries must be file paths");
            }
            out.add(Path.of(s));
        }
        return out;
    }

    private static List<Map<String, Object>> metricList(Path file, int line, Object v) {
        if (!(v instanceof List<?> l)) {
            throw at(file, line, "metric_list must be a list of {metric: NAME}");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("metric") instanceof String name)) {
                throw at(file, line, "each metric_list entry needs metric: NAME");
            }
            Object agg = m.get("aggregation");
            String expected = switch (name) {
                case "acc", "acc_norm" -> "mean";
                case "perplexity" -> "perplexity";
                case "word_perplexity", "byte_perplexity" -> "weighted_perplexity";
                case "bits_per_byte" -> "bits_per_byte";
                default -> throw at(file, line, "metric " + name + " is not supported (acc, acc_norm, perplexity, word_perplexity, byte_perplexity, bits_per_byte)");
            };
            if (agg != null && !expected.equals(agg)) {
                throw at(file, line, "metric " + name + " aggregates by " + expected + ", not " + agg);
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            m.forEach((k, x) -> entry.put(String.valueOf(k), x));
            out.add(entry);
        }
        return out;
    }

    /** The Java version of a Python function the built-in task files name. */
    private static Object function(Path file, FunctionRef f, Map<String, Located> fields) {
        TaskConfig wino = BuiltinTasks.winogrande();
        TaskConfig wiki = BuiltinTasks.wikitext();
        Object path = fields.containsKey("dataset_path") ? fields.get("dataset_path").value() : null;
        return switch (f.name()) {
            case "preprocess_winogrande.doc_to_text" -> wino.docToText;
            case "preprocess_winogrande.doc_to_target" -> wino.docToTarget;
            case "preprocess_winogrande.doc_to_choice" -> wino.docToChoice;
            case "preprocess_wikitext.wikitext_detokenizer" -> wiki.docToTarget;
            case "preprocess_wikitext.process_results" -> wiki.processResults;
            case "utils.process_docs" -> {
                if ("Rowan/hellaswag".equals(path)) {
                    yield BuiltinTasks.hellaswag().processDocs;
                }
                throw at(file, f.line(), "!function " + f.name() + ": Python code cannot run here; MergeLab knows "
                        + "hellaswag's utils.process_docs, preprocess_winogrande.* and preprocess_wikitext.*");
            }
            default -> throw at(file, f.line(), "!function " + f.name() + ": Python code cannot run here; MergeLab knows "
                    + "hellaswag's utils.process_docs, preprocess_winogrande.* and preprocess_wikitext.*");
        };
    }

    /** The file's keys with their values and lines, an include's keys first and the file's own over them. */
    private static Map<String, Located> read(Path file, int depth) {
        if (depth > 8) {
            throw at(file, 1, "include nests more than 8 deep");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw MergeLabException.input(file + ": cannot read task file: " + e.getMessage(), null);
        }
        Node root = compose(file, text);
        if (!(root instanceof MappingNode map)) {
            throw at(file, line(root), "a task file is a mapping of keys (task:, dataset_path:, ...)");
        }
        Map<String, Located> own = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw at(file, line(t.getKeyNode()), "keys must be plain names");
            }
            own.put(k.getValue(), new Located(value(file, t.getValueNode()), line(t.getKeyNode())));
        }
        Map<String, Located> out = new LinkedHashMap<>();
        if (own.containsKey("include")) {
            Located inc = own.get("include");
            if (!(inc.value() instanceof String name)) {
                throw at(file, inc.line(), "include must be a file name");
            }
            Path included = file.toAbsolutePath().getParent().resolve(name);
            if (!Files.isRegularFile(included)) {
                throw at(file, inc.line(), "include " + name + ": no such file " + included);
            }
            out.putAll(read(included, depth + 1));
        }
        own.remove("include");
        out.putAll(own);
        return out;
    }

    private static Node compose(Path file, String text) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(4 << 20);
        options.setNestingDepthLimit(32);
        options.setMaxAliasesForCollections(64);
        options.setAllowDuplicateKeys(false);
        options.setTagInspector(tag -> false);
        try {
            Node root = new Yaml(options).compose(new StringReader(text));
            if (root == null) {
                throw at(file, 1, "the task file is empty");
            }
            return root;
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw MergeLabException.input(file + ":" + (mark == null ? 0 : mark.getLine() + 1) + ":" + (mark == null ? 0 : mark.getColumn() + 1)
                    + ": YAML syntax error: " + (e.getContext() == null ? "" : e.getContext() + ", ") + problem, null);
        } catch (YAMLException | IllegalArgumentException e) {
            throw at(file, 0, "cannot read YAML: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }

    private static Object value(Path file, Node n) {
        if (n.getTag().getValue().equals("!function")) {
            if (!(n instanceof ScalarNode s)) {
                throw at(file, line(n), "!function takes a dotted function name");
            }
            return new FunctionRef(s.getValue(), line(n));
        }
        if (n instanceof MappingNode m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                Object k = value(file, t.getKeyNode());
                out.put(String.valueOf(k), value(file, t.getValueNode()));
            }
            return out;
        }
        if (n instanceof SequenceNode s) {
            List<Object> out = new ArrayList<>();
            for (Node c : s.getValue()) {
                out.add(value(file, c));
            }
            return out;
        }
        ScalarNode s = (ScalarNode) n;
        Tag tag = s.getTag();
        String v = s.getValue();
        if (tag.equals(Tag.NULL)) {
            return null;
        }
        if (tag.equals(Tag.BOOL)) {
            return v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("on");
        }
        if (tag.equals(Tag.INT)) {
            try {
                return Integer.valueOf(v.replace("_", ""));
            } catch (NumberFormatException e) {
                throw at(file, line(n), "number " + v + " is too large");
            }
        }
        if (tag.equals(Tag.FLOAT)) {
            try {
                return Double.valueOf(v.replace("_", ""));
            } catch (NumberFormatException e) {
                return v;
            }
        }
        if (tag.equals(Tag.STR)) {
            return v;
        }
        throw at(file, line(n), "unsupported YAML tag " + tag.getValue());
    }

    private static Object plain(Object v) {
        if (v instanceof FunctionRef f) {
            return "!function " + f.name();
        }
        return v;
    }

    private static String string(Path file, int line, String key, Object v) {
        if (!(v instanceof String s)) {
            throw at(file, line, key + " must be a string");
        }
        return s;
    }

    private static String optString(Path file, int line, String key, Object v) {
        return v == null ? null : string(file, line, key, v);
    }

    private static int line(Node n) {
        return n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }

    private static MergeLabException at(Path file, int line, String message) {
        return MergeLabException.input(file + ":" + line + ": " + message, null);
    }
}
