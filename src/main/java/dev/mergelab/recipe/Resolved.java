package dev.mergelab.recipe;

import java.util.Objects;

/**
 * A resolved parameter value and where it came from, so a dry-run plan can say why a tensor got the
 * value it did.
 *
 * @param line the line of the parameter's key in the recipe
 */
public record Resolved(Literal value, Level level, int line) {

    /** The recipe level that supplied the value, in precedence order (METHODS.md §5). */
    public enum Level {
        /** A source's (or {@code models[]} entry's) own {@code parameters}; per-model parameters only. */
        SOURCE,
        /** {@code slices[].parameters}. */
        SLICE,
        /** {@code modules.<m>.parameters}. */
        MODULE,
        /** Top-level {@code parameters}. */
        TOP
    }

    public Resolved {
        Objects.requireNonNull(value);
        Objects.requireNonNull(level);
    }
}
