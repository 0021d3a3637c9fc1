package dev.mergelab.recipe;

import java.util.Objects;

/** A plain recipe value with the 1-based line it came from, for error messages. */
public record Located<T>(T value, int line) {
    public Located {
        Objects.requireNonNull(value);
    }
}
