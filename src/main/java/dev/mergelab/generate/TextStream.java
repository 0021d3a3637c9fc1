package dev.mergelab.generate;

import dev.mergelab.tokenizer.Tokenizer;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Generated tokens turned into text as they come, for streaming: what {@link #push} returns is final, never
 * taken back. The text is the decode of all tokens so far (so decoders that look at neighbours, such as
 * Metaspace's leading space, act as on the whole), and two kinds of tail are held back until the next tokens
 * settle them:
 * <ul>
 *   <li>a trailing U+FFFD: the first bytes of a character whose other bytes are in tokens still to come
 *       (byte-level and byte-fallback vocabularies split characters across tokens), so broken UTF-8 is never
 *       printed;</li>
 *   <li>a tail that is the start of a stop string, which may complete with the next tokens. When a stop string
 *       appears the text ends just before it.</li>
 * </ul>
 */
public final class TextStream {

    private static final char REPLACEMENT = '\uFFFD';

    private final IntFunction<String> decodeAll;
    private final List<String> stops;
    private int count;
    private String released = "";
    private String stoppedAt;
    private int[] idArray = new int[16];

    /** @param decode decodes a whole id list (e.g. the tokenizer's decode without special tokens) */
    public TextStream(java.util.function.Function<int[], String> decode, List<String> stops) {
        this.stops = List.copyOf(stops.stream().filter(x -> !x.isEmpty()).toList());
        this.decodeAll = n -> decode.apply(java.util.Arrays.copyOf(idArray, n));
    }

    /** Decoding with {@code tokenizer}, special tokens left out (as transformers' TextStreamer). */
    public static TextStream of(Tokenizer tokenizer, List<String> stops) {
        return new TextStream(ids -> tokenizer.decode(ids, true), stops);
    }

    /** Adds one token; returns the text that became final (possibly empty). */
    public String push(int id) {
        if (stoppedAt != null) {
            throw new IllegalStateException("stream already ended at a stop string");
        }
        if (count == idArray.length) {
            idArray = java.util.Arrays.copyOf(idArray, idArray.length * 2);
        }
        idArray[count++] = id;
        String text = decodeAll.apply(count);
        int stop = firstStop(text);
        if (stop >= 0) {
            stoppedAt = text;
            return release(text.substring(0, Math.max(stop, released.length())), true);
        }
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == REPLACEMENT) {
            end--;
        }
        end -= heldForStops(text, end);
        return release(text.substring(0, end), false);
    }

    /** The rest of the text at the end of generation (held-back tails are final now). */
    public String finish() {
        if (stoppedAt != null || count == 0) {
            return "";
        }
        return release(decodeAll.apply(count), true);
    }

    /** True once a stop string appeared. */
    public boolean stopped() {
        return stoppedAt != null;
    }

    /** All text released so far. */
    public String text() {
        return released;
    }

    /** Releases what {@code candidate} adds to the text already released. */
    private String release(String candidate, boolean force) {
        if (candidate.length() <= released.length() || !candidate.startsWith(released)) {
            // a decoder changed earlier text (it cannot be unprinted): go on after the common part
            int common = 0;
            while (common < Math.min(candidate.length(), released.length()) && candidate.charAt(common) == released.charAt(common)) {
                common++;
            }
            if (common < released.length() || candidate.length() <= released.length()) {
                return "";
            }
        }
        String fresh = candidate.substring(released.length());
        if (!force && fresh.isEmpty()) {
            return "";
        }
        released = candidate;
        return fresh;
    }

    /** Where the earliest stop string starts in the generated text, or -1. */
    private int firstStop(String text) {
        int best = -1;
        for (String s : stops) {
            int at = text.indexOf(s, Math.max(0, released.length() - s.length() + 1));
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** The length of the longest tail of {@code text[0, end)} that a stop string starts with. */
    private int heldForStops(String text, int end) {
        int held = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, end); k > held; k--) {
                if (text.startsWith(s.substring(0, k), end - k)) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }
}
