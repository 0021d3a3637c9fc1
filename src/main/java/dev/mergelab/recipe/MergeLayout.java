package dev.mergelab.recipe;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SequencedSet;

/**
 * The recipe normalised into the one shape the planner walks: modules of output slices of sources.
 *
 * <ul>
 *   <li>{@code models:} becomes one slice over all layers whose sources are the models in order, each
 *       with its {@code models[].parameters}; a {@code base_model} not listed is appended as a source with
 *       no parameters (as upstream does).
 *   <li>{@code slices:} are kept as written.
 *   <li>Recipes without {@code modules:} have one unnamed module at index 0.
 * </ul>
 *
 * @param modelRefs the distinct models the merge reads tensors from, in order of first appearance:
 *                  the recipe's base model first, then each slice's base and sources in order. The
 *                  tokenizer source is not included (it is read for its tokenizer only).
 */
public record MergeLayout(List<ModuleLayout> modules, List<String> modelRefs) {
    public MergeLayout {
        modules = List.copyOf(modules);
        modelRefs = List.copyOf(modelRefs);
    }

    static MergeLayout of(Recipe recipe) {
        List<ModuleLayout> modules = new ArrayList<>();
        if (recipe.inputs().isPresent()) {
            modules.add(module(0, Optional.empty(), Parameters.NONE, recipe.inputs().get(), recipe.baseModel()));
        } else {
            for (OutputModule m : recipe.modules().values()) {
                modules.add(module(modules.size(), Optional.of(m.name()), m.parameters(), m.inputs(), recipe.baseModel()));
            }
        }
        SequencedSet<String> refs = new LinkedHashSet<>();
        recipe.baseModel().ifPresent(b -> refs.add(b.raw()));
        for (ModuleLayout m : modules) {
            for (SliceLayout s : m.slices()) {
                s.baseModel().ifPresent(b -> refs.add(b.raw()));
                s.sources().forEach(src -> refs.add(src.model().raw()));
            }
        }
        return new MergeLayout(modules, new ArrayList<>(refs));
    }

    private static ModuleLayout module(int index, Optional<String> name, Parameters params, ModelsOrSlices inputs,
            Optional<ModelRef> recipeBase) {
        List<SliceLayout> slices = new ArrayList<>();
        switch (inputs) {
            case ModelsOrSlices.Models m -> {
                List<SliceSource> sources = new ArrayList<>();
                for (InputModel im : m.models()) {
                    sources.add(new SliceSource(im.model(), Optional.empty(), im.parameters(), false));
                }
                boolean baseListed = recipeBase.map(b -> m.models().stream().anyMatch(im -> im.model().sameModel(b)))
                        .orElse(true);
                if (!baseListed) {
                    sources.add(new SliceSource(recipeBase.get(), Optional.empty(), Parameters.NONE, true));
                }
                slices.add(new SliceLayout(0, sources, recipeBase, Parameters.NONE, m.line()));
            }
            case ModelsOrSlices.Slices s -> {
                for (OutputSlice os : s.slices()) {
                    List<SliceSource> sources = os.sources().stream()
                            .map(src -> new SliceSource(src.model(), Optional.of(src.layerRange()), src.parameters(), false))
                            .toList();
                    slices.add(new SliceLayout(slices.size(), sources, os.baseModel().or(() -> recipeBase),
                            os.parameters(), os.line()));
                }
            }
        }
        return new ModuleLayout(index, name, params, slices);
    }

    /** The recipe line where {@code ref} is first written (the recipe's base_model, else its first source), or 0. */
    public int lineOf(String ref, Optional<ModelRef> recipeBase) {
        if (recipeBase.isPresent() && recipeBase.get().raw().equals(ref)) {
            return recipeBase.get().line();
        }
        for (ModuleLayout m : modules) {
            for (SliceLayout s : m.slices()) {
                for (SliceSource src : s.sources()) {
                    if (src.model().raw().equals(ref)) {
                        return src.model().line();
                    }
                }
                if (s.baseModel().isPresent() && s.baseModel().get().raw().equals(ref)) {
                    return s.baseModel().get().line();
                }
            }
        }
        return 0;
    }

    /** The module at {@code index}. */
    public ModuleLayout module(int index) {
        return modules.get(index);
    }

    /** The slice a site points at. */
    public SliceLayout slice(Site site) {
        ModuleLayout m = modules.get(site.module());
        if (site.slice() >= m.slices().size()) {
            throw new IllegalArgumentException("slice " + site.slice() + " outside module with " + m.slices().size());
        }
        return m.slices().get(site.slice());
    }
}
