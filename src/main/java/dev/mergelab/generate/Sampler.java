package dev.mergelab.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks each next token from the logits as transformers' {@code generate} does (generation/logits_process.py):
 * {@code RepetitionPenaltyLogitsProcessor}, then the warpers {@code TemperatureLogitsWarper},
 * {@code TopKLogitsWarper}, {@code TopPLogitsWarper}, {@code MinPLogitsWarper} (each keeping at least one token),
 * then argmax (greedy) or a draw from the softmax. Removed tokens get -infinity, as there.
 */
public final class Sampler {

    private final Sampling s;
    private final SplittableRandom random;

    public Sampler(Sampling sampling) {
        this(sampling, 0);
    }

    /** A sampler drawing from stream {@code stream} of the seed (a chat's n-th reply uses stream n). */
    public Sampler(Sampling sampling, long stream) {
        this.s = sampling;
        SplittableRandom r = new SplittableRandom(sampling.seed());
        for (long i = 0; i < stream; i++) {
            r = r.split();
        }
        this.random = r;
    }

    /** The next token; {@code logits} (one row) is changed in place; {@code history} are the ids so far. */
    public int next(float[] logits, int[] history, int historyLength) {
        if (s.repeatPenalty() != 1) {
            repetitionPenalty(logits, history, historyLength, (float) s.repeatPenalty());
        }
        if (!s.sample()) {
            return argmax(logits);
        }
        if (s.temperature() != 1) {
            temperature(logits, (float) s.temperature());
        }
        if (s.topK() > 0) {
            topK(logits, s.topK());
        }
        if (s.topP() < 1) {
            topP(logits, s.topP());
        }
        if (s.minP() > 0) {
            minP(logits, s.minP());
        }
        return draw(softmax(logits), random.nextDouble());
    }

    /** Each distinct token in the history once: a positive logit divided by the penalty, a negative one multiplied. */
    static void repetitionPenalty(float[] logits, int[] history, int length, float penalty) {
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < length; i++) {
            int id = history[i];
            if (id >= 0 && id < logits.length && !seen[id]) {
                seen[id] = true;
                float v = logits[id];
                logits[id] = v < 0 ? v * penalty : v / penalty;
            }
        }
    }

    static void temperature(float[] logits, float t) {
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= t;
        }
    }

    /** Keeps the tokens whose logit is at least the k-th largest (ties with it kept, as torch's comparison does). */
    static void topK(float[] logits, int k) {
        if (k >= logits.length) {
            return;
        }
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < kth) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Drops the least likely tokens whose probabilities sum to at most 1 - p (ascending order, cumulative sum),
     * always keeping the most likely one.
     */
    static void topP(float[] logits, double p) {
        Integer[] order = ascending(logits);
        double[] probs = softmax(logits);
        double cumulative = 0;
        for (int r = 0; r < order.length - 1; r++) {   // the last (most likely) token always stays
            cumulative += probs[order[r]];
            if (cumulative <= 1 - p) {
                logits[order[r]] = Float.NEGATIVE_INFINITY;
            } else {
                break;
            }
        }
    }

    /** Drops tokens whose probability is below minP times the top probability, keeping the most likely one. */
    static void minP(float[] logits, double minP) {
        double[] probs = softmax(logits);
        int top = argmax(logits);
        double threshold = minP * probs[top];
        for (int i = 0; i < logits.length; i++) {
            if (i != top && probs[i] < threshold) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** The index of the largest logit, the first on ties (as torch.argmax). */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The token whose cumulative probability interval holds {@code u} in [0, 1). */
    static int draw(double[] probs, double u) {
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;   // rounding left u just above the total
    }

    private static Integer[] ascending(float[] logits) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[a], logits[b]));
        return order;
    }
}
