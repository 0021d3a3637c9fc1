package dev.mergelab.recipe;

import java.util.List;

/**
 * The inputs of a recipe or of one module: either {@code models:} (each model over all its layers) or
 * {@code slices:} (explicit layer ranges). Exactly one form is ever present, so it is one sealed type.
 */
public sealed interface ModelsOrSlices permits ModelsOrSlices.Models, ModelsOrSlices.Slices {

    /** Line of the {@code models:} or {@code slices:} key. */
    int line();

    record Models(List<InputModel> models, int line) implements ModelsOrSlices {
        public Models {
            models = List.copyOf(models);
            if (models.isEmpty()) {
                throw new IllegalArgumentException("empty models list");
            }
        }
    }

    record Slices(List<OutputSlice> slices, int line) implements ModelsOrSlices {
        public Slices {
            slices = List.copyOf(slices);
            if (slices.isEmpty()) {
                throw new IllegalArgumentException("empty slices list");
            }
        }
    }
}
