package dev.mergelab.recipe;

import java.util.Objects;

/**
 * One entry of {@code modules:} (for multi-module architectures, e.g. a vision tower beside a text
 * decoder): its own models or slices, and parameters that sit between slice and top-level parameters in
 * precedence (METHODS.md §5, level 3).
 */
public record OutputModule(String name, ModelsOrSlices inputs, Parameters parameters, int line) {
    public OutputModule {
        Objects.requireNonNull(name);
        Objects.requireNonNull(inputs);
        Objects.requireNonNull(parameters);
    }
}
