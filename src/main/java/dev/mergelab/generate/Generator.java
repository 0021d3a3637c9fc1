package dev.mergelab.generate;

import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The decoding loop over one {@link Session}: prefill the context (only the part the KV cache does not hold
 * already), then pick, stream and run one token at a time until an EOS id, a stop string or the token limit.
 * The session and the ids it holds are kept between calls, so a chat's next turn runs only its new tokens.
 */
public final class Generator {

    /**
     * @param maxTokens most tokens to generate
     * @param eos       ids that end generation (not printed)
     * @param stops     strings that end generation; the text stops just before
     * @param maxLength the model's positions (max_position_embeddings): context and generated tokens together
     *                  stop there; 0 for no limit
     */
    public record Options(int maxTokens, Sampling sampling, Set<Integer> eos, List<String> stops, int maxLength) {
        public Options {
            eos = Set.copyOf(eos);
            stops = List.copyOf(stops);
        }

        public Options(int maxTokens, Sampling sampling, Set<Integer> eos, List<String> stops) {
            this(maxTokens, sampling, eos, stops, 0);
        }
    }

    public enum StopReason { EOS, STOP_STRING, MAX_TOKENS, MAX_LENGTH }

    /**
     * @param text            the generated text as streamed (cut before a stop string)
     * @param generated       the generated ids (an EOS id included when it ended the text)
     * @param promptTokens    context tokens given
     * @param prefilledTokens context tokens run now (the rest came from the KV cache)
     */
    public record Result(String text, int[] generated, StopReason stopReason, int promptTokens, int prefilledTokens,
            long prefillNanos, long decodeNanos) {

        /** Context tokens run per second of prefill. */
        public double promptTokensPerSecond() {
            return prefillNanos == 0 ? 0 : prefilledTokens * 1e9 / prefillNanos;
        }

        /** Generated tokens per second of decoding (the first one comes from the prefill's logits). */
        public double generatedTokensPerSecond() {
            return decodeNanos == 0 ? 0 : generated.length * 1e9 / decodeNanos;
        }
    }

    private final TransformerModel model;
    private final Function<int[], String> decode;
    private Session session;
    private int[] held = new int[0];
    private long calls;

    /** Text is the tokenizer's decode with special tokens left out, as transformers' TextStreamer prints it. */
    public Generator(TransformerModel model, Tokenizer tokenizer) {
        this(model, ids -> tokenizer.decode(ids, true));
    }

    /** @param decode turns a whole list of generated ids into text */
    public Generator(TransformerModel model, Function<int[], String> decode) {
        this.model = model;
        this.decode = decode;
    }

    /** Generates after {@code context}; each piece of final text goes to {@code out} as soon as it is known. */
    public Result generate(int[] context, Options options, Consumer<String> out) {
        if (context.length == 0) {
            throw dev.mergelab.MergeLabException.input("the prompt encodes to no tokens: nothing to continue", null);
        }
        int budget = options.maxTokens();
        if (options.maxLength() > 0) {
            if (context.length >= options.maxLength()) {
                throw dev.mergelab.MergeLabException.input("the prompt is " + context.length + " tokens; the model holds "
                        + options.maxLength() + " positions (max_position_embeddings)", "shorten the prompt or the conversation");
            }
            budget = Math.min(budget, options.maxLength() - context.length);
        }
        if (session == null) {
            session = model.newSession();
        }
        // keep the cached prefix shared with this context; at least the last context token is run again for its logits
        int keep = 0;
        int limit = Math.min(held.length, context.length - 1);
        while (keep < limit && held[keep] == context[keep]) {
            keep++;
        }
        session.rewind(keep);
        long t0 = System.nanoTime();
        float[] logits = session.forwardLast(Arrays.copyOfRange(context, keep, context.length));
        long prefill = System.nanoTime() - t0;

        int[] history = Arrays.copyOf(context, context.length + budget);
        int length = context.length;
        // each call draws from its own stream: the n-th reply of a chat is the same for the same seed
        Sampler sampler = new Sampler(options.sampling(), calls++);
        TextStream stream = new TextStream(decode, options.stops());
        StopReason reason = budget < options.maxTokens() ? StopReason.MAX_LENGTH : StopReason.MAX_TOKENS;
        int generated = 0;
        long t1 = System.nanoTime();
        while (generated < budget) {
            int id = sampler.next(logits, history, length);
            history[length++] = id;
            generated++;
            if (options.eos().contains(id)) {
                reason = StopReason.EOS;
                break;
            }
            out.accept(stream.push(id));
            if (stream.stopped()) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (generated == budget) {
                break;
            }
            logits = session.forward(new int[] {id});
        }
        out.accept(stream.finish());
        long decode = System.nanoTime() - t1;
        // the session now holds every id but the last generated one, which was never run
        held = Arrays.copyOf(history, generated == 0 ? length : length - 1);
        return new Result(stream.text(), Arrays.copyOfRange(history, context.length, length), reason, context.length,
                context.length - keep, prefill, decode);
    }
}
