package dev.mergelab.eval;

/** lm-eval's answer to a loglikelihood request: the summed log-probability and whether greedy decoding gives it. */
public record Score(double logprob, boolean greedy) {
}
