package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * lm-eval's request tokenization on the tiny character BPE (src/test/resources/eval/tiny, made by
 * scripts/eval-ref/make_tiny_tokenizer.py). The ids in the comments are the Rust tokenizers library's
 * (Node binding 0.23.2) for the same file: "o" [1,19]; "on the" [1,90,81]; "he s" [1,80,94]; "he sat"
 * [1,80,94,93]; "Answ" [1,87]; "<s>the" without special tokens [1,24,80].
 */
class RequestEncoderTest {

    static final Path TINY = Path.of("src/test/resources/eval/tiny");
    private final Tokenizer tok = Tokenizer.load(TINY.resolve("tokenizer.json"));
    private final RequestEncoder enc = new RequestEncoder(tok, 1, 64);

    @Test
    void contextAndContinuationAreEncodedWholeAndSplitAtTheContextLength() {
        // "on the" merges "o"+"n" across the boundary: the continuation is whole[len([<s>, o]):] = [" the"]
        TokenRequest r = enc.encodePair("o", "n the");
        assertArrayEquals(new int[] {1, 19}, r.context());
        assertArrayEquals(new int[] {81}, r.continuation());
        // "he s" + "at": whole [1,80,94,93], context [1,80,94]
        TokenRequest s = enc.encodePair("he s", "at");
        assertArrayEquals(new int[] {1, 80, 94}, s.context());
        assertArrayEquals(new int[] {93}, s.continuation());
    }

    @Test
    void trailingContextWhitespaceMovesToTheContinuation() {
        // "Answer: " + "the" becomes "Answer:" + " the", so " the" is one token (81), as lm-eval's _encode_pair does
        TokenRequest r = enc.encodePair("Answer: ", "the");
        assertArrayEquals(new int[] {1, 89}, r.context());
        assertArrayEquals(new int[] {81}, r.continuation());
        // every Python whitespace moves, here a newline and a no-break space
        TokenRequest n = enc.encodePair("on\n\u00a0", "x");
        assertArrayEquals(new int[] {1, 90}, n.context());
        assertArrayEquals(new int[] {3, 0, 28}, n.continuation());
    }

    @Test
    void emptyContextIsThePrefixToken() {
        TokenRequest r = enc.encodePair("", "on the");
        assertArrayEquals(new int[] {1}, r.context());
        assertArrayEquals(new int[] {90, 81}, r.continuation());
        // a continuation that already starts with the prefix token gives its first token as the context
        TokenRequest b = enc.encodePair("", "<s>the");
        assertArrayEquals(new int[] {1}, b.context());
        assertArrayEquals(new int[] {24, 80}, b.continuation());
    }

    @Test
    void textStartingWithTheDecodedPrefixGetsNoSecondBos() {
        assertArrayEquals(new int[] {1, 24, 80}, enc.encode("<s>the"));
        assertArrayEquals(new int[] {1, 24, 80}, enc.encode("the"));
    }

    @Test
    void rollingWindowsAsGetRollingTokenWindowsAndMakeDisjointWindow() {
        // worked by hand from lm_eval/utils.py:331-379, tokens 10..16, prefix 1, max_seq_len 3, context_len 1:
        // ([1,10,11],[10,11,12]) -> ([1],[10,11,12]); ([12,13,14],[13,14,15]) -> ([12],[13,14,15]);
        // ([13,14,15],[16]) -> ([13,14,15],[16])
        List<TokenRequest> w = RequestEncoder.rollingWindows(new int[] {10, 11, 12, 13, 14, 15, 16}, 1, 3);
        assertEquals(3, w.size());
        assertArrayEquals(new int[] {1}, w.get(0).context());
        assertArrayEquals(new int[] {10, 11, 12}, w.get(0).continuation());
        assertArrayEquals(new int[] {12}, w.get(1).context());
        assertArrayEquals(new int[] {13, 14, 15}, w.get(1).continuation());
        assertArrayEquals(new int[] {13, 14, 15}, w.get(2).context());
        assertArrayEquals(new int[] {16}, w.get(2).continuation());
    }

    @Test
    void rollingWindowsOfAShortTextAndOfAnExactMultiple() {
        List<TokenRequest> one = RequestEncoder.rollingWindows(new int[] {5, 6}, 1, 4);
        assertEquals(1, one.size());
        assertArrayEquals(new int[] {1}, one.get(0).context());
        assertArrayEquals(new int[] {5, 6}, one.get(0).continuation());
        // 4 tokens, max 2: ([1],[5,6]) then ([6],[7,8]) after make_disjoint_window of ([5,6],[7,8])
        List<TokenRequest> two = RequestEncoder.rollingWindows(new int[] {5, 6, 7, 8}, 1, 2);
        assertEquals(2, two.size());
        assertArrayEquals(new int[] {6}, two.get(1).context());
        assertArrayEquals(new int[] {7, 8}, two.get(1).continuation());
        assertEquals(0, RequestEncoder.rollingWindows(new int[0], 1, 2).size());
    }
}
