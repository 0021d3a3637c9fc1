package dev.mergelab.eval;

import dev.mergelab.MergeLabException;
import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Scores token requests with the forward pass, as lm-eval's {@code _loglikelihood_tokens} does
 * (lm_eval/models/huggingface.py:1329-1572): the model reads {@code (context + continuation)[-(maxLength+1):][:-1]}
 * (left truncation with a warning, :1431-1443), the last {@code len(continuation)} rows of its logits are
 * log-softmaxed (:1503), the continuation tokens' log-probabilities summed (:1553-1558), and the request is
 * greedy when every row's argmax is the continuation token (:1545-1547).
 *
 * <p>lm-eval log-softmaxes in the model's dtype ({@code softmax_dtype=None}, :426); MergeLab's logits are
 * float32 and each row's log-sum-exp and the sum over the continuation are taken in double, so a float32
 * model agrees to about 1e-6 relative and a bf16 one is more exact than lm-eval's own bf16 softmax.
 *
 * <p>Speed without changing a number: requests whose context ids are equal and need no truncation share
 * one prefill of the context; each continuation then runs after {@link Session#rewind} to the context's end.
 * A fresh pass over context+continuation gives the same logits (the KV cache holds exactly the keys and values
 * the full pass computes; ScorerTest checks bit-equality), except under RoPE types whose frequencies depend on
 * the sequence length (dynamic NTK, longrope), where each request runs alone. lm-eval's length-sorting
 * (its Collator) only batches; results are per request, so the order here is the tasks' order.
 */
public final class Scorer {

    private final TransformerModel model;
    private final int maxLength;
    private final Consumer<String> warnings;
    private final boolean sharePrefill;
    private final int chunkRows;
    private int truncationWarnings;

    public Scorer(TransformerModel model, int maxLength, Consumer<String> warnings) {
        this(model, maxLength, warnings, 512);
    }

    Scorer(TransformerModel model, int maxLength, Consumer<String> warnings, int chunkRows) {
        this.chunkRows = chunkRows;
        this.model = model;
        this.maxLength = maxLength;
        this.warnings = warnings;
        String rope = model.description().globalRope().type();
        String local = model.description().localRope().type();
        this.sharePrefill = !isLengthDependent(rope) && !isLengthDependent(local);
    }

    private static boolean isLengthDependent(String ropeType) {
        return "dynamic".equals(ropeType) || "longrope".equals(ropeType);
    }

    /** Scores every request, in order; {@code done} hears each finished request's index. */
    public Score[] score(List<TokenRequest> requests, IntConsumer done) {
        Score[] out = new Score[requests.size()];
        Map<String, List<Integer>> byContext = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            TokenRequest r = requests.get(i);
            if (r.context().length == 0) {
                throw new IllegalArgumentException("request " + i + " has an empty context");
            }
            if (r.continuation().length == 0) {
                throw MergeLabException.input("a continuation encodes to no tokens (request context ends \""
                        + tail(r) + "\"); lm-eval rejects it too", null);
            }
            boolean fits = r.context().length + r.continuation().length <= maxLength + 1;
            String key = sharePrefill && fits ? Arrays.toString(r.context()) : "alone:" + i;
            byContext.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
        for (List<Integer> group : byContext.values()) {
            if (group.size() == 1) {
                int i = group.get(0);
                out[i] = alone(requests.get(i));
                done.accept(i);
                continue;
            }
            int[] ctx = requests.get(group.get(0)).context();
            Session session = model.newSession();
            // only the context's last row is read: it predicts every continuation's first token
            float[] lastCtxRow = session.forward(ctx, 1);
            int vocab = model.description().vocab();
            for (int i : group) {
                int[] cont = requests.get(i).continuation();
                session.rewind(ctx.length);
                float[] rest = session.forward(Arrays.copyOf(cont, cont.length - 1));
                double sum = 0;
                boolean greedy = true;
                for (int t = 0; t < cont.length; t++) {
                    float[] row = t == 0 ? lastCtxRow : rest;
                    int offset = t == 0 ? 0 : (t - 1) * vocab;
                    sum += logProb(row, offset, vocab, cont[t]);
                    greedy &= argmax(row, offset, vocab) == cont[t];
                }
                out[i] = new Score(sum, greedy);
                done.accept(i);
            }
        }
        return out;
    }

    /** One request in one pass, left-truncated to the maximum length as lm-eval does. */
    private Score alone(TokenRequest r) {
        int[] ctx = r.context();
        int[] cont = r.continuation();
        int total = ctx.length + cont.length;
        int[] all = new int[total];
        System.arraycopy(ctx, 0, all, 0, ctx.length);
        System.arraycopy(cont, 0, all, ctx.length, cont.length);
        if (total > maxLength + 1) {
            if (truncationWarnings++ < 5) {
                warnings.accept("context (" + ctx.length + ") and continuation (" + cont.length + ") exceed the maximum length ("
                        + maxLength + "); truncating " + (total - maxLength - 1) + " tokens from the left, as lm-eval does");
            }
        }
        int from = Math.max(0, total - (maxLength + 1));
        int[] input = Arrays.copyOfRange(all, from, total - 1);
        int vocab = model.description().vocab();
        int firstRow = input.length - cont.length;
        // a long pass runs in chunks through the KV cache (the same numbers) so that at most chunkRows rows of
        // logits exist at once: a 2048-token window of a 128k vocabulary would be a gigabyte
        int chunk = sharePrefill ? chunkRows : input.length;
        Session session = model.newSession();
        double sum = 0;
        boolean greedy = true;
        for (int start = 0; start < input.length; start += chunk) {
            int end = Math.min(input.length, start + chunk);
            int readFrom = Math.max(start, firstRow);
            int rows = Math.max(0, end - readFrom);
            float[] logits = session.forward(Arrays.copyOfRange(input, start, end), rows);
            for (int row = 0; row < rows; row++) {
                int t = readFrom + row - firstRow;
                sum += logProb(logits, row * vocab, vocab, cont[t]);
                greedy &= argmax(logits, row * vocab, vocab) == cont[t];
            }
        }
        return new Score(sum, greedy);
    }

    /** log_softmax(row)[token] with the log-sum-exp in double. */
    static double logProb(float[] logits, int offset, int vocab, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return logits[offset + token] - max - Math.log(sum);
    }

    /** The first index of the largest logit, as torch.argmax picks. */
    static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    private static String tail(TokenRequest r) {
        return Arrays.toString(Arrays.copyOfRange(r.context(), Math.max(0, r.context().length - 5), r.context().length));
    }
}
