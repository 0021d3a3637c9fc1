package dev.mergelab.recipe;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One normalised output slice: its inputs in order, its effective base model (the slice's own
 * {@code base_model}, else the recipe's), and its {@code parameters} (always empty for the implicit
 * slice of the {@code models:} form).
 */
public record SliceLayout(int index, List<SliceSource> sources, Optional<ModelRef> baseModel, Parameters parameters, int line) {
    public SliceLayout {
        sources = List.copyOf(sources);
        Objects.requireNonNull(baseModel);
        Objects.requireNonNull(parameters);
    }

    /** Layers in this slice, or empty for the implicit all-layers slice of the {@code models:} form. */
    public OptionalInt layerCount() {
        return sources.getFirst().layerRange().map(r -> OptionalInt.of(r.count())).orElse(OptionalInt.empty());
    }

    /** True when {@code model} is this slice's base (exempt from required per-model parameters). */
    public boolean isBase(String modelRef) {
        return baseModel.map(b -> b.raw().equals(modelRef)).orElse(false);
    }

    /** The distinct models of this slice, in source order. */
    public List<String> modelRefs() {
        return sources.stream().map(s -> s.model().raw()).distinct().toList();
    }
}
