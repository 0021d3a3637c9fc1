package dev.mergelab.eval;

import dev.mergelab.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns lm-eval's string requests into token requests exactly as its Hugging Face model class does
 * (EleutherAI/lm-evaluation-harness at 4e7e0d47, the commit these comments cite).
 */
public final class RequestEncoder {

    private final Tokenizer tokenizer;
    private final int prefixTokenId;
    private final String prefixText;
    private final int maxLength;

    /**
     * @param prefixTokenId HFLM's {@code prefix_token_id}: the tokenizer's BOS id, else its EOS id
     *                      (lm_eval/models/huggingface.py:611-617)
     * @param maxLength     the model's maximum length (huggingface.py:620, models/utils.py:551 resolve_max_length)
     */
    public RequestEncoder(Tokenizer tokenizer, int prefixTokenId, int maxLength) {
        this.tokenizer = tokenizer;
        this.prefixTokenId = prefixTokenId;
        this.prefixText = tokenizer.decode(new int[] {prefixTokenId}, false);
        this.maxLength = maxLength;
    }

    public int maxLength() {
        return maxLength;
    }

    public int prefixTokenId() {
        return prefixTokenId;
    }

    /**
     * HFLM.tok_encode with {@code add_special_tokens=None} (huggingface.py:1040-1063): the tokenizer's default
     * (add special tokens, as Transformers does when HFLM passes no {@code add_bos_token}), except that a string
     * already starting with the decoded prefix token is encoded without them.
     */
    public int[] encode(String text) {
        boolean special = !text.startsWith(prefixText);
        return tokenizer.encode(text, special);
    }

    /**
     * TemplateLM.loglikelihood (lm_eval/api/model.py:424-447) with {@code _encode_pair} (model.py:367-400):
     * an empty context becomes the prefix token (or the continuation's first token when that is already the
     * prefix token), the continuation then encoded without special tokens; otherwise trailing whitespace of the
     * context moves to the continuation, context+continuation is encoded whole, and the continuation is what
     * follows the first {@code len(encode(context))} ids.
     */
    public TokenRequest encodePair(String context, String continuation) {
        if (context.isEmpty()) {
            int[] cont = tokenizer.encode(continuation, false);
            if (cont.length > 0 && cont[0] == prefixTokenId) {
                return new TokenRequest(Arrays.copyOf(cont, 1), Arrays.copyOfRange(cont, 1, cont.length));
            }
            return new TokenRequest(new int[] {prefixTokenId}, cont);
        }
        String trimmed = PyStr.rstrip(context);
        if (trimmed.length() < context.length()) {
            continuation = context.substring(trimmed.length()) + continuation;
            context = trimmed;
        }
        int[] whole = encode(context + continuation);
        int[] ctx = encode(context);
        int split = Math.min(ctx.length, whole.length);
        return new TokenRequest(ctx, Arrays.copyOfRange(whole, split, whole.length));
    }

    /**
     * HFLM.loglikelihood_rolling (huggingface.py:1226-1310): the text's ids (default special tokens) cut by
     * {@link #rollingWindows} with the prefix token and context length 1, each window made disjoint.
     */
    public List<TokenRequest> rolling(String text) {
        return rollingWindows(encode(text), prefixTokenId, maxLength);
    }

    /**
     * {@code map(make_disjoint_window, get_rolling_token_windows(tokens, prefix, maxLen, context_len=1))}
     * (lm_eval/utils.py:331-379): the first window predicts the first min(maxLen, n) tokens after the prefix
     * token; each later one predicts up to maxLen further tokens after the tokens just before them, its context
     * cut so it does not overlap what it predicts.
     */
    public static List<TokenRequest> rollingWindows(int[] tokens, int prefixToken, int maxSeqLen) {
        List<TokenRequest> out = new ArrayList<>();
        if (tokens.length == 0) {
            return out;
        }
        if (maxSeqLen < 1) {
            throw new IllegalArgumentException("max length must be at least 1");
        }
        int predLen = maxSeqLen; // max_seq_len - context_len + 1 with context_len = 1
        int first = Math.min(maxSeqLen, tokens.length);
        int[] input = new int[first];
        input[0] = prefixToken;
        System.arraycopy(tokens, 0, input, 1, first - 1);
        out.add(disjoint(input, Arrays.copyOfRange(tokens, 0, first)));
        int predicted = first;
        while (predicted < tokens.length) {
            int windowPred = Math.min(tokens.length - predicted, predLen);
            int end = predicted + windowPred;
            out.add(disjoint(Arrays.copyOfRange(tokens, end - maxSeqLen - 1, end - 1),
                    Arrays.copyOfRange(tokens, end - windowPred, end)));
            predicted += windowPred;
        }
        return out;
    }

    /** make_disjoint_window: {@code a[:len(a) - (len(b) - 1)], b}. */
    private static TokenRequest disjoint(int[] a, int[] b) {
        return new TokenRequest(Arrays.copyOf(a, a.length - (b.length - 1)), b);
    }
}
