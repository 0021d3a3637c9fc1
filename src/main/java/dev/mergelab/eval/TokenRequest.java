package dev.mergelab.eval;

/**
 * One scored span in token ids: the model reads {@code context + continuation} (left-truncated to the
 * maximum length) and the continuation's log-probabilities are summed, as lm-eval's
 * {@code _loglikelihood_tokens} does (lm_eval/models/huggingface.py:1329).
 */
public record TokenRequest(int[] context, int[] continuation) {
}
