package dev.mergelab.tokenizer;

import java.util.List;

/**
 * tokenizer.json's {@code post_processor}: turns the encoded sequence (or pair) into the final ids, adding
 * special tokens when asked. Works on the list of sequences, as the library's {@code process_encodings}, so
 * that a Sequence of processors composes the same way.
 */
interface PostProcessor {

    /** Each element is one sequence's ids; the result's elements are concatenated by the caller. */
    List<int[]> process(List<int[]> sequences, boolean addSpecialTokens);

    /** How many ids {@link #process} adds to a single sequence (or a pair) with special tokens on. */
    default int addedTokens(boolean pair) {
        List<int[]> in = pair ? List.of(new int[0], new int[0]) : List.<int[]>of(new int[0]);
        int n = 0;
        for (int[] s : process(in, true)) {
            n += s.length;
        }
        return n;
    }
}
