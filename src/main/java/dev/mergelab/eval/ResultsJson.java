package dev.mergelab.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.Version;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * results.json in lm-eval's layout (evaluator_utils.py:153-170 _to_eval_results, evaluator.py:386-420):
 * {@code results} (task and group → {@code "alias"}, {@code "acc,none"}, {@code "acc_stderr,none"}, ...),
 * {@code groups}, {@code group_subtasks}, {@code configs}, {@code versions}, {@code n-shot},
 * {@code higher_is_better}, {@code n-samples} ({@code original}, {@code effective}), {@code config}
 * ({@code model}, ...), plus {@code model_name} and {@code mergelab_version}; and samples_TASK.jsonl.
 */
public final class ResultsJson {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultsJson() {
    }

    public static ObjectNode build(String model, List<TaskResult> tasks, List<BuiltinTasks.Group> groups, Integer limit, Integer numFewshot) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode results = root.putObject("results");
        ObjectNode groupResults = JSON.createObjectNode();
        ObjectNode subtasks = JSON.createObjectNode();
        for (TaskResult t : tasks) {
            ObjectNode r = results.putObject(t.config().task);
            r.put("name", t.config().task);
            r.put("alias", t.config().taskAlias == null ? t.config().task : t.config().taskAlias);
            r.put("sample_len", t.samples().size());
            putAll(r, t.metrics());
        }
        for (BuiltinTasks.Group g : groups) {
            ObjectNode r = JSON.createObjectNode();
            r.put("alias", g.alias());
            r.put("name", g.name());
            List<TaskResult> leaves = tasks.stream().filter(t -> g.leaves().contains(t.config().task)).toList();
            r.put("sample_len", leaves.stream().mapToInt(t -> t.samples().size()).sum());
            for (String metric : g.metrics()) {
                putAll(r, groupMetric(metric, leaves));
            }
            results.set(g.name(), r);
            groupResults.set(g.name(), r.deepCopy());
            ArrayNode children = subtasks.putArray(g.name());
            g.leaves().forEach(children::add);
        }
        if (!groups.isEmpty()) {
            root.set("groups", groupResults);
        }
        root.set("group_subtasks", subtasks);
        ObjectNode configs = root.putObject("configs");
        ObjectNode versions = root.putObject("versions");
        ObjectNode nShot = root.putObject("n-shot");
        ObjectNode higher = root.putObject("higher_is_better");
        ObjectNode nSamples = root.putObject("n-samples");
        for (TaskResult t : tasks.stream().sorted((a, b) -> a.config().task.compareTo(b.config().task)).toList()) {
            String name = t.config().task;
            configs.set(name, JSON.valueToTree(dumpedConfig(t)));
            versions.set(name, JSON.valueToTree(t.config().version));
            nShot.put(name, t.numFewshot());
            higher.set(name, JSON.valueToTree(t.higherIsBetter()));
            ObjectNode ns = nSamples.putObject(name);
            ns.put("original", t.originalDocs());
            ns.put("effective", t.samples().size());
        }
        for (BuiltinTasks.Group g : groups) {
            versions.put(g.name(), 2);
        }
        ObjectNode config = root.putObject("config");
        config.put("model", model);
        config.put("model_args", (String) null);
        config.put("batch_size", 1);
        config.set("limit", limit == null ? null : JSON.valueToTree(limit));
        config.put("bootstrap_iters", Metrics.BOOTSTRAP_ITERS);
        config.put("fewshot_seed", Evaluator.FEWSHOT_SEED);
        root.put("model_name", model);
        root.put("mergelab_version", Version.VERSION);
        return root;
    }

    /**
     * The task's config as lm-eval dumps it: the fields given, the defaults that shaped the prompts
     * (TaskConfig's description, target_delimiter, fewshot_delimiter), and num_fewshot as run (evaluator.py sets it).
     */
    static Map<String, Object> dumpedConfig(TaskResult t) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(t.config().raw);
        m.putIfAbsent("description", t.config().description);
        m.putIfAbsent("target_delimiter", t.config().targetDelimiter);
        m.putIfAbsent("fewshot_delimiter", t.config().fewshotDelimiter);
        m.put("num_fewshot", t.numFewshot());
        if (t.config().version != null) {
            m.putIfAbsent("metadata", Map.of("version", t.config().version));
        }
        return m;
    }

    /** A group's metric from its leaves (api/group.py:183-283): size-weighted mean, pooled stderr unless one is "N/A". */
    static java.util.Map<String, Object> groupMetric(String metric, List<TaskResult> leaves) {
        List<Double> values = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        List<Double> stderrs = new ArrayList<>();
        boolean na = false;
        for (TaskResult t : leaves) {
            Object v = t.metrics().get(metric + ",none");
            if (v instanceof Double d) {
                values.add(d);
                sizes.add(t.samples().size());
                Object s = t.metrics().get(metric + "_stderr,none");
                if (s instanceof Double sd) {
                    stderrs.add(sd);
                } else {
                    na = true;
                }
            }
        }
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        if (values.isEmpty()) {
            return out;
        }
        out.put(metric + ",none", Metrics.aggregateSubtasks(values, sizes, true));
        out.put(metric + "_stderr,none", !na && stderrs.size() == values.size() ? Metrics.pooledSampleStderr(stderrs, sizes) : "N/A");
        return out;
    }

    private static void putAll(ObjectNode node, Map<String, Object> metrics) {
        metrics.forEach((k, v) -> {
            if (v instanceof Double d) {
                if (d.isNaN() || d.isInfinite()) {
                    node.put(k, String.valueOf(d));
                } else {
                    node.put(k, d);
                }
            } else {
                node.put(k, String.valueOf(v));
            }
        });
    }

    public static void write(Path file, ObjectNode root) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, JSON.writeValueAsString(root) + "\n", StandardCharsets.UTF_8);
    }

    /**
     * samples_TASK.jsonl: one line per document with doc_id, loglikelihoods (one per request in the task's
     * request order; a rolling document's is the sum over its windows), is_greedy (one per request; null for a
     * rolling task's, whose responses lm-eval logs without one), and its metric values (a number, or
     * [loglikelihood, weight] for the weighted perplexities as lm-eval logs them).
     */
    public static void writeSamples(Path file, TaskResult t) throws IOException {
        ObjectMapper compact = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (TaskResult.DocSample s : t.samples()) {
                ObjectNode line = compact.createObjectNode();
                line.put("doc_id", s.docId());
                ArrayNode lls = line.putArray("loglikelihoods");
                for (double v : s.loglikelihoods()) {
                    lls.add(v);
                }
                boolean rolling = "loglikelihood_rolling".equals(t.config().outputType);
                ArrayNode greedy = line.putArray("is_greedy");
                for (boolean g : s.greedy()) {
                    if (rolling) {
                        greedy.addNull();
                    } else {
                        greedy.add(g);
                    }
                }
                s.metrics().forEach((k, v) -> {
                    if (v.length == 1) {
                        line.put(k, v[0]);
                    } else {
                        ArrayNode pair = line.putArray(k);
                        for (double x : v) {
                            pair.add(x);
                        }
                    }
                });
                w.write(compact.writeValueAsString(line));
                w.write('\n');
            }
        }
    }
}
