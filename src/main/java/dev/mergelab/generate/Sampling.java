package dev.mergelab.generate;

import dev.mergelab.MergeLabException;

/**
 * How the next token is chosen. Greedy (the most likely token) unless {@code sample}; the logits pass, in
 * transformers' order, through the repetition penalty (greedy too), then temperature, top-k, top-p and min-p.
 *
 * @param sample        draw from the distribution instead of taking its maximum
 * @param temperature   divides the logits (> 0; 1 leaves them)
 * @param topK          keep the k most likely tokens (0: off)
 * @param topP          keep the most likely tokens whose probabilities sum to at least p (1: off)
 * @param minP          drop tokens less likely than minP times the most likely one (0: off)
 * @param repeatPenalty divide positive and multiply negative logits of tokens already in the sequence (1: off)
 * @param seed          seeds the draws: the same seed gives the same text
 */
public record Sampling(boolean sample, double temperature, int topK, double topP, double minP, double repeatPenalty, long seed) {

    public Sampling {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw MergeLabException.input("temperature must be above 0 (0 means greedy), got " + temperature, null);
        }
        if (topK < 0) {
            throw MergeLabException.input("top-k must be 0 (off) or positive, got " + topK, null);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw MergeLabException.input("top-p must be in (0, 1], got " + topP, null);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw MergeLabException.input("min-p must be in [0, 1], got " + minP, null);
        }
        if (!(repeatPenalty > 0) || Double.isInfinite(repeatPenalty)) {
            throw MergeLabException.input("repeat penalty must be above 0 (1 is off), got " + repeatPenalty, null);
        }
    }

    /** The most likely token each step, with no penalty. */
    public static Sampling greedy() {
        return new Sampling(false, 1, 0, 1, 0, 1, 0);
    }
}
