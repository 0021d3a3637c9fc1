package dev.mergelab.lab.trial;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.mergelab.MergeLabException;
import dev.mergelab.eval.BuiltinTasks;
import dev.mergelab.eval.TaskConfig;
import dev.mergelab.eval.TaskSelection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Objectives checked against the selected tasks, each tied to its key in results.json (a {@code ppl:FILE} task is
 * {@code ppl_STEM} there), so values can be read from every candidate's results: {@link #values} per objective and
 * {@link #fitness}, their weighted sum (higher is better).
 */
public final class Objectives {

    private final List<Objective> objectives;
    private final List<String> keys;

    private Objectives(List<Objective> objectives, List<String> keys) {
        this.objectives = List.copyOf(objectives);
        this.keys = List.copyOf(keys);
    }

    /**
     * A task's primary metric as the default objective: {@code acc} when the task has it, else {@code bits_per_byte}
     * (a perplexity task), else its first metric; weight 1 for a metric where higher is better (acc, acc_norm), -1
     * for the rest (perplexities, bits per byte), so the fitness always rewards a better model.
     */
    public static Objective primary(String task, TaskSelection.Selected s) {
        List<String> names = s.groups().isEmpty() ? s.configs().getFirst().metricNames() : s.groups().getFirst().metrics();
        String metric = names.contains("acc") ? "acc" : names.contains("bits_per_byte") ? "bits_per_byte" : names.getFirst();
        return new Objective(task, metric + ",none", higherIsBetter(metric) ? 1 : -1);
    }

    /** Whether lm-eval's {@code higher_is_better} holds for a metric name (without filter). */
    public static boolean higherIsBetter(String metric) {
        return metric.equals("acc") || metric.equals("acc_norm");
    }

    /**
     * Checks each objective against {@code selected}: its task must be selected (an entry of {@code --tasks}, or a leaf
     * task of one) and its metric one that task reports; a wrong one is a one-line error listing what is there.
     */
    public static Objectives resolve(List<Objective> objectives, List<TaskSelection.Selected> selected) {
        if (objectives.isEmpty()) {
            throw MergeLabException.input("no objective: name at least one task", null);
        }
        List<String> keys = new ArrayList<>();
        for (Objective o : objectives) {
            String key = resultsKey(o.task());
            Set<String> metrics = metricsOf(key, selected);
            if (metrics == null) {
                throw MergeLabException.input("objective task " + o.task() + " is not among the evaluated tasks ("
                        + String.join(", ", selected.stream().map(TaskSelection.Selected::name).toList()) + ")", null);
            }
            String base = o.metric().substring(0, o.metric().indexOf(','));
            if (!metrics.contains(base)) {
                throw MergeLabException.input("task " + o.task() + " has no metric " + o.metric() + "; it reports "
                        + String.join(", ", metrics.stream().map(m -> m + ",none").toList()), null);
            }
            keys.add(key);
        }
        return new Objectives(objectives, keys);
    }

    /** The name results.json gives the task: {@code ppl_STEM} for {@code ppl:FILE}, a task .yaml's {@code task}, else the name. */
    private static String resultsKey(String task) {
        if (task.startsWith("ppl:") || task.endsWith(".yaml") || task.endsWith(".yml")) {
            try {
                return TaskSelection.select(task).name();
            } catch (IOException e) {
                throw MergeLabException.input("objective task " + task + ": " + e.getMessage(), null);
            }
        }
        return task;
    }

    /** The metric names reported under {@code key}, or null when no selected task or group has that name. */
    private static Set<String> metricsOf(String key, List<TaskSelection.Selected> selected) {
        for (TaskSelection.Selected s : selected) {
            for (BuiltinTasks.Group g : s.groups()) {
                if (g.name().equals(key)) {
                    return new LinkedHashSet<>(g.metrics());
                }
            }
            for (TaskConfig c : s.configs()) {
                if (c.task.equals(key)) {
                    return new LinkedHashSet<>(c.metricNames());
                }
            }
        }
        return null;
    }

    public List<Objective> list() {
        return objectives;
    }

    /** The results.json task key of each objective, in order. */
    public List<String> keys() {
        return keys;
    }

    /** Each objective's metric value in {@code results} (results.json's tree), in order. */
    public double[] values(JsonNode results) {
        double[] v = new double[objectives.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode n = results.path("results").path(keys.get(i)).get(objectives.get(i).metric());
            if (n == null || !n.isNumber()) {
                throw new IllegalStateException("results have no " + keys.get(i) + " " + objectives.get(i).metric());
            }
            v[i] = n.asDouble();
        }
        return v;
    }

    /** The sum of weight times value (mergekit-evolve's score): higher is better. */
    public double fitness(double[] values) {
        double f = 0;
        for (int i = 0; i < values.length; i++) {
            f += objectives.get(i).weight() * values[i];
        }
        return f;
    }

    /** The fitness of {@code results}. */
    public double fitness(JsonNode results) {
        return fitness(values(results));
    }

    /** The objectives as the lab stores them: a JSON array of {@code {"task", "metric", "weight"}}. */
    public ArrayNode toJson() {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (Objective o : objectives) {
            a.addObject().put("task", o.task()).put("metric", o.metric()).put("weight", o.weight());
        }
        return a;
    }

    /** Values as the lab stores them: a JSON array of numbers in objective order. */
    public static ArrayNode toJson(double[] values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (double v : values) {
            a.add(v);
        }
        return a;
    }
}
