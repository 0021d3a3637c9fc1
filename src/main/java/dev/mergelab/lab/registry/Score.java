package dev.mergelab.lab.registry;

/**
 * One evaluation result of a candidate. The same (task, metric, limit, data, evaluator) recorded again replaces the
 * earlier value: re-evaluating updates a score instead of adding a second one.
 *
 * @param task       the task name, e.g. {@code arc_easy} or {@code ppl:wiki.txt}
 * @param metric     the metric with its filter as lm-eval names it, e.g. {@code acc,none}
 * @param stderr     the standard error, or null
 * @param limit      examples evaluated, or null for the whole task
 * @param dataSha256 SHA-256 of the evaluated data (documents or file), or null
 * @param evaluator  who computed it, e.g. {@code mergelab 0.1.0}, or null
 */
public record Score(String task, String metric, double value, Double stderr, Long limit, String dataSha256, String evaluator) {

    public Score {
        if (task == null || task.isBlank() || metric == null || metric.isBlank()) {
            throw new IllegalArgumentException("a score needs a task and a metric");
        }
    }
}
