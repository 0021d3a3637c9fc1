package dev.mergelab.recipe;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of {@code slices:}: a run of output layers built from aligned input ranges. A slice may name
 * its own {@code base_model}, which then replaces the recipe's for its layers; {@code residual_weight} is
 * kept for faithfulness (upstream accepts it) but no method reads it.
 */
public record OutputSlice(
        List<InputSlice> sources,
        Optional<ModelRef> baseModel,
        Optional<Located<Double>> residualWeight,
        Parameters parameters,
        int line) {

    public OutputSlice {
        sources = List.copyOf(sources);
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("slice without sources");
        }
        Objects.requireNonNull(baseModel);
        Objects.requireNonNull(residualWeight);
        Objects.requireNonNull(parameters);
    }

    /** Layers in this output slice (all sources have the same count; the parser checks it). */
    public int layerCount() {
        return sources.getFirst().layerRange().count();
    }
}
