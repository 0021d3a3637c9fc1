package dev.mergelab.eval;

import java.util.List;

/**
 * lm-eval's aggregations and standard errors (lm_eval/api/metrics.py at 4e7e0d47). Sums run left to right
 * as Python's {@code sum} does.
 */
public final class Metrics {

    /** lm-eval's default {@code bootstrap_iters} (lm_eval/evaluator.py, simple_evaluate). */
    public static final int BOOTSTRAP_ITERS = 100_000;

    private Metrics() {
    }

    /** {@code mean} (metrics.py:35). */
    public static double mean(double[] xs) {
        double s = 0;
        for (double x : xs) {
            s += x;
        }
        return s / xs.length;
    }

    /** {@code sample_stddev} (metrics.py:313): Bessel-corrected. */
    public static double sampleStddev(double[] xs) {
        double mu = mean(xs);
        double s = 0;
        for (double x : xs) {
            s += (x - mu) * (x - mu);
        }
        return Math.sqrt(s / (xs.length - 1));
    }

    /** {@code mean_stderr} (metrics.py:318): sample stddev / sqrt(n). */
    public static double meanStderr(double[] xs) {
        return sampleStddev(xs) / Math.sqrt(xs.length);
    }

    /** {@code perplexity} aggregation (metrics.py:47): exp(-mean(loglikelihoods)), LAMBADA's. */
    public static double perplexity(double[] lls) {
        return Math.exp(-mean(lls));
    }

    /** {@code weighted_mean} (metrics.py:434): sum(a) / sum(b) over (loglikelihood, weight) pairs. */
    public static double weightedMean(double[] lls, double[] weights) {
        double a = 0;
        double b = 0;
        for (int i = 0; i < lls.length; i++) {
            a += lls[i];
            b += weights[i];
        }
        return a / b;
    }

    /** {@code weighted_perplexity} (metrics.py:52): word_perplexity and byte_perplexity. */
    public static double weightedPerplexity(double[] lls, double[] weights) {
        return Math.exp(-weightedMean(lls, weights));
    }

    /** {@code bits_per_byte} (metrics.py:57). */
    public static double bitsPerByte(double[] lls, double[] bytes) {
        return -weightedMean(lls, bytes) / Math.log(2);
    }

    /**
     * {@code bootstrap_stderr(perplexity, xs, iters)} (metrics.py:474-552): {@code iters / 1000} chunks, chunk i
     * drawing 1000 resamples with {@code random.Random(i).choices(xs, k=len(xs))}, then the sample stddev of
     * the resampled perplexities. lm-eval bootstraps the perplexity aggregation only among the ones here
     * (stderr_for_metric, metrics.py:571-583); weighted perplexities and bits_per_byte get "N/A".
     */
    public static double bootstrapPerplexityStderr(double[] lls, int iters) {
        int chunk = Math.min(1000, iters);
        double[] res = new double[(iters / chunk) * chunk];
        // chunks are independent (each its own generator) and land in their own slots: any thread order
        // gives the same array, in lm-eval's order (pool.imap keeps it)
        java.util.stream.IntStream.range(0, iters / chunk).parallel().forEach(i -> {
            PythonRandom rnd = new PythonRandom(i);
            for (int c = 0; c < chunk; c++) {
                res[i * chunk + c] = perplexity(rnd.choices(lls, lls.length));
            }
        });
        return sampleStddev(res);
    }

    /** {@code aggregate_subtask_metrics} (metrics.py:640): the size-weighted mean of subtasks' scores. */
    public static double aggregateSubtasks(List<Double> metrics, List<Integer> sizes, boolean weightBySize) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < metrics.size(); i++) {
            double w = weightBySize ? sizes.get(i) : 1;
            num += metrics.get(i) * w;
            den += w;
        }
        return num / den;
    }

    /** {@code pooled_sample_stderr} (metrics.py:590): a group's stderr from its subtasks'. */
    public static double pooledSampleStderr(List<Double> stderrs, List<Integer> sizes) {
        double num = 0;
        long total = 0;
        for (int i = 0; i < stderrs.size(); i++) {
            int size = sizes.get(i);
            num += (size - 1) * stderrs.get(i) * stderrs.get(i) * size;
            total += size;
        }
        double pooledVar = num / (total - sizes.size());
        return Math.sqrt(pooledVar / total);
    }
}
