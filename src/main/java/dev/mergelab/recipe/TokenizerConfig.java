package dev.mergelab.recipe;

import java.util.Objects;
import java.util.Optional;

/**
 * The newer {@code tokenizer:} block. Only {@code source} and {@code pad_to_multiple_of} are supported;
 * per-token embedding settings ({@code tokens}) are refused by the parser for now.
 */
public record TokenizerConfig(TokenizerSource source, Optional<Located<Integer>> padToMultipleOf, int line) {
    public TokenizerConfig {
        Objects.requireNonNull(source);
        Objects.requireNonNull(padToMultipleOf);
    }
}
