package dev.mergelab.recipe;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One module of the normalised layout. Recipes without {@code modules:} have a single unnamed module
 * with no parameters of its own.
 */
public record ModuleLayout(int index, Optional<String> name, Parameters parameters, List<SliceLayout> slices) {
    public ModuleLayout {
        Objects.requireNonNull(name);
        Objects.requireNonNull(parameters);
        slices = List.copyOf(slices);
        if (slices.isEmpty()) {
            throw new IllegalArgumentException("module without slices");
        }
    }

    /** Pre-weights (embeddings): t = 0 in the first slice. */
    public Site preWeightSite() {
        return new Site(index, 0, LayerPosition.NON_LAYER_T);
    }

    /** Post-weights (final norm, lm_head): t = 0 in the last slice. */
    public Site postWeightSite() {
        return new Site(index, slices.size() - 1, LayerPosition.NON_LAYER_T);
    }

    /** Layer {@code idx} (0-based within the slice) of slice {@code slice}, which has {@code n} layers. */
    public Site layerSite(int slice, int idx, int n) {
        return Site.layer(index, slice, idx, n);
    }
}
