package dev.mergelab.recipe;

import java.util.Objects;

/** One entry of {@code models:}: a model merged over all its layers, with its own parameters. */
public record InputModel(ModelRef model, Parameters parameters, int line) {
    public InputModel {
        Objects.requireNonNull(model);
        Objects.requireNonNull(parameters);
    }
}
