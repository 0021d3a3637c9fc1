package dev.mergelab.tokenizer;

/** The part of tokenizer.json ({@code model}) that turns one pre-tokenized piece into token ids. */
interface Model {

    /** Appends the ids of {@code piece} (never empty). */
    void tokenize(String piece, IntList out);

    /** The id of a token, or -1. */
    int tokenToId(String token);

    /** The token of an id, or null. */
    String idToToken(int id);

    /** The library's {@code get_vocab_size()}: the number of distinct tokens. */
    int vocabSize();
}
