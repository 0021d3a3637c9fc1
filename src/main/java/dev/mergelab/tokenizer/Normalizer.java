package dev.mergelab.tokenizer;

/** One normalization step of tokenizer.json's {@code normalizer}; returns its input when nothing changes. */
interface Normalizer {

    Piece normalize(Piece p);

    /** Normalizes a plain string (added-token contents are matched in this form). */
    default String normalize(String s) {
        return normalize(new Piece(s, 0)).text;
    }
}
