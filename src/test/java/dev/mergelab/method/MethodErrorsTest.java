package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.mergelab.method.MethodPropertiesTest.gaussian;
import static dev.mergelab.method.MethodPropertiesTest.plus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** User-facing failures: one line naming method, parameter, model and tensor. */
class MethodErrorsTest {

    private static final float[] BASE = gaussian(1, 64, 0.02);
    private static final float[] M0 = plus(BASE, gaussian(2, 64, 0.004));
    private static final float[] M1 = plus(BASE, gaussian(3, 64, 0.004));

    private static String fails(Executable e, String... mustContain) {
        MergeLabException ex = assertThrows(MergeLabException.class, e);
        assertEquals(MergeLabException.Kind.INPUT, ex.kind());
        assertFalse(ex.oneLine().contains("\n"));
        for (String s : mustContain) {
            assertTrue(ex.getMessage().contains(s), "'" + ex.getMessage() + "' lacks '" + s + "'");
        }
        return ex.getMessage();
    }

    @Test
    void tiesDensityZeroNamesTensorSizeAndModel() {
        fails(() -> Jobs.merge("ties", BASE, List.of(M0), Map.of(), List.of(Map.of("weight", 1.0, "density", 0.0))),
                "ties", "density 0.0", Jobs.TENSOR, "n=64", "m0");
        // density·n < 1 is the same k = 0
        fails(() -> Jobs.merge("ties", BASE, List.of(M0), Map.of(), List.of(Map.of("weight", 1.0, "density", 0.01))), "n=64");
    }

    @Test
    void missingRequiredParameter() {
        String msg = fails(() -> Jobs.merge("task_arithmetic", BASE, List.of(M0, M1), Map.of(), List.of(Map.of("weight", 1.0), Map.of())));
        assertTrue(msg.contains("Missing required parameter weight for m1." + Jobs.TENSOR), msg);
        fails(() -> Jobs.merge("slerp", BASE, List.of(M0), Map.of(), List.of()), "Missing required parameter t for " + Jobs.TENSOR);
        fails(() -> Jobs.merge("peft_ties", BASE, List.of(M0), Map.of(), Jobs.weights(1)), "Missing required parameter density");
    }

    @Test
    void baseIsExemptFromPerModelRequirementsWhereItIsSpecial() {
        // The base has no weight here and needs none; linear (base not special) would need one.
        Jobs.merge("task_arithmetic", BASE, List.of(M0), Map.of(), Jobs.weights(1));
        fails(() -> Jobs.merge("linear", BASE, List.of(M0), Map.of(), Jobs.weights(1)), "Missing required parameter weight for base.");
    }

    @Test
    void eagerCheckFindsWhatMergeWouldWithoutMerging() {
        MergeMethod ties = MethodRegistry.get("ties");
        ties.checkParams(Jobs.job("ties", BASE, List.of(M0), Map.of(), Jobs.weights(1)));
        fails(() -> ties.checkParams(Jobs.job("ties", BASE, List.of(M0), Map.of(), List.of(Map.of("density", 0.5)))),
                "Missing required parameter weight for m0.");
        fails(() -> ties.checkParams(Jobs.job("ties", BASE, List.of(M0), Map.of("normalize", "yes"), Jobs.weights(1))),
                "normalize = 'yes'", "true or false");
        fails(() -> MethodRegistry.get("linear").checkParams(Jobs.job("linear", BASE, List.of(M0), Map.of(), Jobs.weights(1))),
                "Missing required parameter weight for base.");
        fails(() -> MethodRegistry.get("slerp").checkParams(Jobs.job("slerp", BASE, List.of(M0), Map.of(), List.of())),
                "Missing required parameter t");
    }

    @Test
    void badValuesNameTheParameter() {
        fails(() -> Jobs.merge("ties", BASE, List.of(M0), Map.of(), List.of(Map.of("weight", 1.0, "density", -0.1))),
                "ties", "density = -0.1", "model m0", Jobs.TENSOR, ">= 0");
        fails(() -> Jobs.merge("task_arithmetic", BASE, List.of(M0), Map.of(), List.of(Map.of("weight", Double.NaN))),
                "weight = NaN", "finite number");
        fails(() -> Jobs.merge("task_arithmetic", BASE, List.of(M0), Map.of("lambda", "big"), Jobs.weights(1)),
                "lambda = 'big'", "tensor " + Jobs.TENSOR);
        fails(() -> Jobs.merge("karcher", null, List.of(M0, M1), Map.of("max_iter", 2.5), List.of()), "max_iter", "whole number");
        fails(() -> Jobs.merge("peft_ties", BASE, List.of(M0), Map.of("density", 0.5, "majority_sign_method", "mode"), Jobs.weights(1)),
                "majority_sign_method", "total, frequency");
    }

    @Test
    void baseRequired() {
        for (String m : List.of("slerp", "task_arithmetic", "ties", "model_stock", "sce", "nearswap", "arcee_fusion", "ram",
                "ramplus_tl", "peft_ties")) {
            List<float[]> models = List.of(M0, M1);
            fails(() -> Jobs.merge(m, null, models, Map.of("t", 0.5, "density", 0.5), Jobs.weights(1, 1)),
                    m + " requires base_model");
        }
    }

    @Test
    void degenerateCombinationsAreErrors() {
        fails(() -> Jobs.merge("linear", null, List.of(M0, M1), Map.of(), Jobs.weights(1, -1)), "linear", "sum to 0");
        fails(() -> Jobs.merge("multislerp", null, List.of(M0, M1), Map.of(), Jobs.weights(1, -1)), "multislerp", "sum to 0");
        fails(() -> Jobs.merge("della", BASE, List.of(M0), Map.of(), List.of(Map.of("weight", 1.0, "density", 0.1))),
                "della", "epsilon 0.15", "density 0.1", "m0");
        fails(() -> Jobs.merge("peft_dare_linear", BASE, List.of(M0), Map.of("density", 0.0), Jobs.weights(1)), "density 0");
        fails(() -> Jobs.merge("model_stock", BASE, List.of(M0), Map.of(), List.of()), "model_stock", "at least 2");
        fails(() -> Jobs.merge("passthrough", null, List.of(M0, M1), Map.of(), List.of()), "passthrough", "exactly one");
        fails(() -> Jobs.merge("slerp", BASE, List.of(M0, M1), Map.of("t", 0.5), List.of()), "slerp", "exactly one other");
        fails(() -> Jobs.merge("nuslerp", null, List.of(M0, M1, M0), Map.of(), Jobs.weights(1, 1, 1)), "nuslerp", "exactly two");
        fails(() -> Jobs.merge("nearswap", BASE, List.of(M0, M1), Map.of("t", 0.1), List.of()), "nearswap", "exactly one");
    }

    @Test
    void shapeMismatchOutsideEmbeddingsIsAnError() {
        MergeMethod linear = MethodRegistry.get("linear");
        MethodSpec spec = linear.spec();
        List<TensorInput> in = List.of(
                new TensorInput("a", new float[6], new long[]{2, 3}, false, Params.forModel(spec, Map.of("weight", 1), "a", "w")),
                new TensorInput("b", new float[8], new long[]{2, 4}, false, Params.forModel(spec, Map.of("weight", 1), "b", "w")));
        fails(() -> linear.merge(new TensorMerge("w", false, in, Params.global(spec, Map.of(), "w"), 0, null)),
                "linear", "[2, 3]", "[2, 4]", "a", "b");
    }

    @Test
    void unknownMethodSuggestsTheClosest() {
        assertEquals(null, MethodRegistry.get("tie"));
        assertEquals("ties", MethodRegistry.closest("tie"));
        assertEquals("slerp", MethodRegistry.closest("SLERP"));
        assertEquals("dare_ties", MethodRegistry.closest("dare-ties"));
        assertEquals("breadcrumbs_ties", MethodRegistry.closest("breadcrumb_ties"));
    }

    @Test
    void registryHoldsEveryMethodOfTheSpecWithCompleteSpecs() {
        List<String> expected = List.of("linear", "task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs",
                "breadcrumbs_ties", "della", "della_linear", "model_stock", "sce", "karcher", "slerp", "nuslerp", "multislerp",
                "nearswap", "arcee_fusion", "passthrough", "ram", "ramplus_tl", "peft_task_arithmetic",
                "peft_magnitude_prune", "peft_ties", "peft_dare_linear", "peft_dare_ties");
        List<String> names = new ArrayList<>();
        MethodRegistry.all().forEach(m -> names.add(m.spec().name()));
        assertEquals(expected.stream().sorted().toList(), names.stream().sorted().toList());
        for (MergeMethod m : MethodRegistry.all()) {
            MethodSpec s = m.spec();
            assertFalse(s.description().isBlank(), s.name());
            assertEquals(s.params().size(), s.params().stream().map(ParamSpec::name).distinct().count(), s.name());
            for (ParamSpec p : s.params()) {
                assertFalse(p.doc() == null || p.doc().isBlank(), s.name() + "." + p.name());
                if (p.defaultValue() != null) {
                    p.validate(p.defaultValue(), s.name(), "default"); // every default passes its own check
                }
            }
        }
        List<String> elementwise = MethodRegistry.all().stream().filter(m -> m.spec().elementwise()).map(m -> m.spec().name()).sorted().toList();
        assertEquals(List.of("linear", "nearswap", "passthrough", "peft_task_arithmetic", "ram", "task_arithmetic"), elementwise);
    }
}
