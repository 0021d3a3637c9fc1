package dev.mergelab.lab.trial;

import dev.mergelab.MergeLabException;

/**
 * One term of a fitness, as mergekit-evolve writes its {@code tasks:} entries: the task (as named in {@code --tasks}:
 * built-in, {@code ppl:FILE}, a task .yaml), the metric with its filter ({@code acc,none}), and a weight. The fitness of
 * a candidate is the sum of weight times metric value over the objectives; a negative weight minimises a metric such as
 * {@code bits_per_byte,none}.
 */
public record Objective(String task, String metric, double weight) {

    public Objective {
        if (task == null || task.isBlank()) {
            throw MergeLabException.input("an objective needs a task", null);
        }
        if (metric == null || metric.isBlank()) {
            throw MergeLabException.input("objective " + task + " needs a metric", null);
        }
        if (!Double.isFinite(weight)) {
            throw MergeLabException.input("objective " + task + ": weight " + weight + " is not a finite number", null);
        }
        if (!metric.contains(",")) {
            metric = metric + ",none"; // lm-eval's key is METRIC,FILTER; the default filter is none
        }
    }
}
