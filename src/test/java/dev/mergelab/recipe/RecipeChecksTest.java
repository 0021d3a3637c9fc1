package dev.mergelab.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine-facing checks with method knowledge supplied by the caller. */
class RecipeChecksTest {
    private static final Set<String> TIES_GLOBAL = Set.of("normalize", "rescale", "lambda", "int8_mask");
    private static final Set<String> TIES_PER_MODEL = Set.of("weight", "density");

    @Test
    void unknownParameterSuggestsTheClosest() {
        Recipe r = Recipes.parse("""
                merge_method: ties
                base_model: b
                models:
                  - model: a
                    parameters:
                      weight: 1
                      densty: 0.5
                parameters:
                  normalise: true
                """);
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> RecipeChecks.validateParameterNames(r, TIES_GLOBAL, TIES_PER_MODEL));
        // The first mistake in the file is reported, whichever block it sits in.
        assertEquals("recipe.yml:7: unknown parameter 'densty' for method ties (did you mean 'density'?)", e.getMessage());
    }

    @Test
    void globalParameterInAModelIsAWarning() {
        Recipe r = Recipes.load("ties");
        List<String> warnings = RecipeChecks.validateParameterNames(r, TIES_GLOBAL, TIES_PER_MODEL);
        assertTrue(warnings.isEmpty(), warnings.toString());
        Recipe misplaced = Recipes.parse("""
                merge_method: ties
                base_model: b
                models:
                  - model: a
                    parameters:
                      normalize: false
                """);
        assertEquals(List.of("recipe.yml:6: parameter 'normalize' of method ties is global, so a model's own setting is "
                + "ignored; set it in slice or top-level parameters"),
                RecipeChecks.validateParameterNames(misplaced, TIES_GLOBAL, TIES_PER_MODEL));
    }

    @Test
    void examplesPassTheirMethodsNames() {
        RecipeChecks.validateParameterNames(Recipes.load("gradient_slerp"), Set.of("t"), Set.of());
        RecipeChecks.validateParameterNames(Recipes.load("modules"), Set.of("normalize"), Set.of("weight"));
        RecipeChecks.validateParameterNames(Recipes.load("passthrough"), Set.of(), Set.of("scale"));
    }

    @Test
    void unknownMethod() {
        Recipe r = Recipes.parse("merge_method: tie\nbase_model: b\nmodels:\n  - model: a\n");
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> RecipeChecks.validateMethodName(r, Set.of("linear", "ties", "slerp")));
        assertEquals("recipe.yml:1: unknown merge_method 'tie' (did you mean 'ties'?)", e.getMessage());
        RecipeChecks.validateMethodName(Recipes.load("ties"), Set.of("linear", "ties"));
    }

    @Test
    void baseModelRequired() {
        RecipeChecks.requireBaseModel(Recipes.load("ties"));
        MergeLabException e = assertThrows(MergeLabException.class, () -> RecipeChecks.requireBaseModel(Recipes.load("linear")));
        assertEquals("linear.yml:12: method linear requires base_model", e.getMessage());
        // A slice's own base_model satisfies the requirement for that slice.
        RecipeChecks.requireBaseModel(Recipes.parse("""
                merge_method: slerp
                slices:
                  - sources:
                      - model: a
                        layer_range: [0, 2]
                      - model: b
                        layer_range: [0, 2]
                    base_model: a
                parameters:
                  t: 0.5
                """));
    }

    @Test
    void suggestions() {
        assertEquals("density", Suggest.closest("densty", List.of("weight", "density")).orElseThrow());
        assertEquals("epsilon", Suggest.closest("epsilno", List.of("epsilon")).orElseThrow());
        assertTrue(Suggest.closest("zzz", List.of("weight", "density")).isEmpty());
        assertEquals(1, Suggest.distance("ab", "ba"));
    }
}
