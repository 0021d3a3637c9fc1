package dev.mergelab.recipe;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * Checks that need knowledge the recipe package does not have (which methods exist, which parameters a
 * method takes). The engine calls them after parsing, before planning, so mistakes are reported with the
 * recipe line instead of surfacing per tensor.
 */
public final class RecipeChecks {
    private RecipeChecks() {}

    /** Fails unless {@code merge_method} is one of {@code known}. */
    public static void validateMethodName(Recipe recipe, Collection<String> known) {
        Located<String> m = recipe.mergeMethod();
        if (!known.contains(m.value())) {
            throw RecipeErrors.at(recipe.source(), m.line(),
                    "unknown merge_method '" + m.value() + "'" + RecipeErrors.didYouMean(m.value(), sorted(known)),
                    "known methods: " + String.join(", ", sorted(known)));
        }
    }

    /** Fails when the method needs a base model and the recipe (or some slice) has none. */
    public static void requireBaseModel(Recipe recipe) {
        for (ModuleLayout module : recipe.layout().modules()) {
            for (SliceLayout slice : module.slices()) {
                if (slice.baseModel().isEmpty()) {
                    throw RecipeErrors.at(recipe.source(), recipe.mergeMethod().line(),
                            "method " + recipe.mergeMethod().value() + " requires base_model",
                            "add 'base_model: <the model the others were fine-tuned from>'");
                }
            }
        }
    }

    /**
     * Fails on the first parameter name the method does not take, suggesting the closest name. Returns
     * warnings for global parameters set in a model's or source's own parameters, where upstream ignores
     * them silently (only per-model parameters are read at that level).
     *
     * @param globalNames   the method's global (one value per tensor) parameter names
     * @param perModelNames the method's per-model parameter names
     */
    public static List<String> validateParameterNames(Recipe recipe, Set<String> globalNames, Set<String> perModelNames) {
        Set<String> known = new TreeSet<>(globalNames);
        known.addAll(perModelNames);
        String method = recipe.mergeMethod().value();
        List<String> warnings = new ArrayList<>();
        // Check in file order so the error names the first mistake the user sees.
        List<Placed> all = new ArrayList<>();
        forEachBlock(recipe, (params, modelLevel) -> params.byName().values().forEach(p -> all.add(new Placed(p, modelLevel))));
        all.sort(Comparator.comparingInt(x -> x.parameter().line()));
        for (Placed placed : all) {
            Parameters.Parameter p = placed.parameter();
            if (!known.contains(p.name())) {
                String hint = known.isEmpty() ? "method " + method + " takes no parameters"
                        : "parameters of " + method + ": " + String.join(", ", known);
                throw RecipeErrors.at(recipe.source(), p.line(), "unknown parameter '" + p.name() + "' for method "
                        + method + RecipeErrors.didYouMean(p.name(), known), hint);
            }
            if (placed.modelLevel() && !perModelNames.contains(p.name())) {
                warnings.add(recipe.where(p.line()) + ": parameter '" + p.name() + "' of method " + method
                        + " is global, so a model's own setting is ignored; set it in slice or top-level parameters");
            }
        }
        return warnings;
    }

    private record Placed(Parameters.Parameter parameter, boolean modelLevel) {}

    /** Visits every parameters block; the flag is true for a model's or source's own block. */
    private static void forEachBlock(Recipe recipe, BiConsumer<Parameters, Boolean> visit) {
        visit.accept(recipe.parameters(), false);
        recipe.inputs().ifPresent(in -> forEachBlock(in, visit));
        for (OutputModule m : recipe.modules().values()) {
            visit.accept(m.parameters(), false);
            forEachBlock(m.inputs(), visit);
        }
    }

    private static void forEachBlock(ModelsOrSlices inputs, BiConsumer<Parameters, Boolean> visit) {
        switch (inputs) {
            case ModelsOrSlices.Models m -> m.models().forEach(im -> visit.accept(im.parameters(), true));
            case ModelsOrSlices.Slices s -> s.slices().forEach(os -> {
                visit.accept(os.parameters(), false);
                os.sources().forEach(src -> visit.accept(src.parameters(), true));
            });
        }
    }

    private static List<String> sorted(Collection<String> names) {
        return new ArrayList<>(new TreeSet<>(names));
    }

    /**
     * Keys MergeLab accepts, because mergekit recipes carry them, but does not apply: one warning each with
     * its line, so no accepted key is ever ignored silently.
     */
    public static List<String> notApplied(Recipe recipe) {
        List<String> out = new ArrayList<>();
        recipe.tokenizer().flatMap(TokenizerConfig::padToMultipleOf).ifPresent(p -> out.add(recipe.where(p.line())
                + ": tokenizer.pad_to_multiple_of is not applied yet; the output vocabulary is not padded"));
        List<ModelsOrSlices> inputs = new ArrayList<>();
        recipe.inputs().ifPresent(inputs::add);
        recipe.modules().values().forEach(m -> inputs.add(m.inputs()));
        for (ModelsOrSlices in : inputs) {
            if (in instanceof ModelsOrSlices.Slices s) {
                for (OutputSlice slice : s.slices()) {
                    slice.residualWeight().ifPresent(w -> out.add(recipe.where(w.line())
                            + ": residual_weight is not applied; this slice is merged without it"));
                }
            }
        }
        return out;
    }
}
