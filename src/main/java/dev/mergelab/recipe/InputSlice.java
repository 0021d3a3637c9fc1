package dev.mergelab.recipe;

import java.util.Objects;

/** One entry of {@code slices[].sources}: a layer range of one model, with its own parameters. */
public record InputSlice(ModelRef model, LayerRange layerRange, Parameters parameters, int line) {
    public InputSlice {
        Objects.requireNonNull(model);
        Objects.requireNonNull(layerRange);
        Objects.requireNonNull(parameters);
    }
}
