package dev.mergelab.eval;

import java.util.List;
import java.util.Map;

/**
 * One task's outcome: its metrics as lm-eval's results.json holds them ({@code "acc,none"},
 * {@code "acc_stderr,none"} as a number or "N/A"), and each document's scores for the samples file.
 */
public record TaskResult(TaskConfig config, int originalDocs, int numFewshot, Map<String, Object> metrics,
                         Map<String, Boolean> higherIsBetter, List<DocSample> samples) {

    /** One document: its index, each request's log-likelihood and greediness, and its metric values. */
    public record DocSample(int docId, double[] loglikelihoods, boolean[] greedy, Map<String, double[]> metrics) {
    }
}
