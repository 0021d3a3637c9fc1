package dev.mergelab.recipe;

import java.util.Objects;
import java.util.Optional;

/**
 * One input of a normalised slice. For the {@code models:} form the layer range is empty, meaning all of
 * the model's layers (the count is known only once the model's config is read), and
 * {@code addedBase} marks the base model appended because {@code models:} did not list it.
 */
public record SliceSource(ModelRef model, Optional<LayerRange> layerRange, Parameters parameters, boolean addedBase) {
    public SliceSource {
        Objects.requireNonNull(model);
        Objects.requireNonNull(layerRange);
        Objects.requireNonNull(parameters);
    }

    /** True when this source takes every layer of its model ({@code models:} form). */
    public boolean allLayers() {
        return layerRange.isEmpty();
    }
}
