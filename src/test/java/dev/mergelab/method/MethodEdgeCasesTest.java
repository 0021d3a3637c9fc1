package dev.mergelab.method;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.mergelab.method.MethodPropertiesTest.gaussian;
import static dev.mergelab.method.MethodPropertiesTest.plus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edge cases METHODS.md pins down (§1 Shapes, Single input, and each method's edge-case notes). */
class MethodEdgeCasesTest {

    private static final float[] BASE = gaussian(1, 60, 0.02);
    private static final float[] M0 = plus(BASE, gaussian(2, 60, 0.004));
    private static final float[] M1 = plus(BASE, gaussian(3, 60, 0.004));

    @Test
    void embeddingsAreCutToTheCommonTopLeftBlock() {
        MergeMethod linear = MethodRegistry.get("linear");
        MethodSpec spec = linear.spec();
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9};          // 3x3
        float[] b = {10, 20, 30, 40, 50, 60};              // 2x3 (fewer tokens)
        List<TensorInput> in = List.of(
                new TensorInput("a", a, new long[]{3, 3}, false, Params.forModel(spec, Map.of("weight", 1), "a", "embed")),
                new TensorInput("b", b, new long[]{2, 3}, false, Params.forModel(spec, Map.of("weight", 1), "b", "embed")));
        TensorMerge job = new TensorMerge("model.embed_tokens.weight", true, in, Params.global(spec, Map.of(), "e"), 0, null);
        assertArrayEquals(new long[]{2, 3}, linear.outputShape(job));
        assertArrayEquals(new float[]{5.5f, 11, 16.5f, 22, 27.5f, 33}, linear.merge(job));
    }

    @Test
    void taskArithmeticCutsEmbeddingsToTheBaseAndSkipsOtherMismatches() {
        MergeMethod ta = MethodRegistry.get("task_arithmetic");
        MethodSpec spec = ta.spec();
        float[] base = {1, 1, 1, 1};                        // 2x2
        float[] big = {2, 2, 9, 2, 2, 9, 9, 9, 9};           // 3x3, top-left 2x2 = 2s
        List<String> warnings = new ArrayList<>();
        List<TensorInput> in = List.of(
                new TensorInput("base", base, new long[]{2, 2}, true, Params.forModel(spec, Map.of(), "base", "t")),
                new TensorInput("big", big, new long[]{3, 3}, false, Params.forModel(spec, Map.of("weight", 1), "big", "t")));
        TensorMerge embed = new TensorMerge("lm_head.weight", true, in, Params.global(spec, Map.of(), "t"), 0, warnings::add);
        assertArrayEquals(new long[]{2, 2}, ta.outputShape(embed));
        assertArrayEquals(new float[]{2, 2, 2, 2}, ta.merge(embed));
        assertEquals(1, warnings.size());

        warnings.clear();
        TensorMerge other = new TensorMerge("model.norm.weight", false, in, Params.global(spec, Map.of(), "t"), 0, warnings::add);
        assertArrayEquals(base, ta.merge(other));   // no task vector left: θ_b
        assertTrue(warnings.getFirst().contains("skipping big"), warnings.toString());
    }

    @Test
    void loneInputsAndMissingModels() {
        for (String m : List.of("slerp", "nuslerp", "karcher", "multislerp", "arcee_fusion")) {
            float[] out = MethodRegistry.get(m).merge(Jobs.job(m, null, List.of(M0), Map.of("t", 0.3), Jobs.weights(1)));
            assertArrayEquals(M0, out, m);
        }
        for (String m : List.of("task_arithmetic", "ties", "model_stock", "sce", "nearswap", "ram", "ramplus_tl", "peft_ties")) {
            float[] out = Jobs.merge(m, BASE, List.of(), Map.of("t", 0.3, "density", 0.5), List.of());
            assertArrayEquals(BASE, out, m);
        }
        // multislerp: a single model besides the base is returned as is, not relative to the base.
        assertArrayEquals(M0, Jobs.merge("multislerp", BASE, List.of(M0), Map.of(), Jobs.weights(1)));
    }

    @Test
    void slerpOfAZeroTensorUsesTheRightAngleWeights() {
        float[] zero = new float[BASE.length];
        float t = 0.3f;
        float[] out = Jobs.merge("slerp", BASE, List.of(zero), Map.of("t", (double) t), List.of());
        double w0 = Math.sin((1 - t) * Math.PI / 2);
        for (int j = 0; j < out.length; j++) {
            assertEquals(w0 * BASE[j], out[j], 1e-7);
        }
        assertFalse(Math.abs(w0 - (1 - t)) < 1e-3, "not a lerp");
    }

    @Test
    void slerpLerpsParallelAndAntiparallelInputs() {
        float[] anti = new float[BASE.length];
        for (int j = 0; j < anti.length; j++) {
            anti[j] = -2 * BASE[j];
        }
        float[] out = Jobs.merge("slerp", BASE, List.of(anti), Map.of("t", 0.25), List.of());
        for (int j = 0; j < out.length; j++) {
            assertEquals(0.75f * BASE[j] + 0.25f * anti[j], out[j], 1e-7);
        }
    }

    @Test
    void breadcrumbsWithoutTopOutliersKeepsTheLargestAndWarnsOnce() {
        List<String> warnings = new ArrayList<>();
        List<Map<String, ?>> pm = Jobs.each(2, Map.of("weight", 1.0, "density", 0.5, "gamma", 0.0));
        float[] crumbs = MethodRegistry.get("breadcrumbs").merge(
                Jobs.job("breadcrumbs", new long[]{60}, BASE, List.of(M0, M1), Map.of(), pm, 0, warnings::add));
        List<Map<String, ?>> mag = Jobs.each(2, Map.of("weight", 1.0, "density", 0.5));
        float[] ties = Jobs.merge("ties", BASE, List.of(M0, M1), Map.of("normalize", false), mag);
        assertEquals(1, warnings.size(), warnings.toString());
        assertFalse(Arrays.equals(crumbs, BASE), "not upstream's all-dropped output");
        // Each model keeps exactly its 30 largest deltas: compare against the magnitude sparsifier summed.
        float[] expected = BASE.clone();
        for (float[] m : List.of(M0, M1)) {
            float[] d = dev.mergelab.method.kernel.Sparsify.magnitude(minus(m, BASE), 0.5, null);
            for (int j = 0; j < d.length; j++) {
                expected[j] += d[j];
            }
        }
        assertArrayEquals(expected, crumbs, 1e-7f);
        assertFalse(Arrays.equals(ties, crumbs), "ties elects signs, breadcrumbs does not");
    }

    @Test
    void densityAboveOneWarnsAndKeepsEverything() {
        List<String> warnings = new ArrayList<>();
        List<Map<String, ?>> pm = List.of(Map.of("weight", 1.0, "density", 1.5));
        float[] out = MethodRegistry.get("dare_linear").merge(
                Jobs.job("dare_linear", new long[]{60}, BASE, List.of(M0), Map.of(), pm, 0, warnings::add));
        assertArrayEquals(Jobs.merge("task_arithmetic", BASE, List.of(M0), Map.of(), Jobs.weights(1)), out);
        assertTrue(warnings.getFirst().contains("density 1.5"), warnings.toString());
    }

    @Test
    void dellaWithOneColumnUsesThePlainDensity() {
        long[] shape = {60, 1};
        List<Map<String, ?>> pm = List.of(Map.of("weight", 1.0, "density", 0.5));
        float[] out = MethodRegistry.get("della_linear").merge(
                Jobs.job("della_linear", shape, BASE, List.of(M0), Map.of("rescale", false), pm, 5, w -> { }));
        int kept = 0;
        for (int j = 0; j < out.length; j++) {
            assertFalse(Float.isNaN(out[j]));
            if (out[j] != BASE[j]) {
                kept++;
                assertEquals(M0[j], out[j], 1e-7);
            }
        }
        assertTrue(kept > 10 && kept < 50, "kept " + kept);
    }

    @Test
    void nearswapWithNonPositiveTKeepsTheBase() {
        assertArrayEquals(BASE, Jobs.merge("nearswap", BASE, List.of(M0), Map.of("t", 0.0), List.of()));
        assertArrayEquals(BASE, Jobs.merge("nearswap", BASE, List.of(M0), Map.of("t", -1.0), List.of()));
    }

    @Test
    void sceWithNothingSelectedKeepsTheBase() {
        assertArrayEquals(BASE, Jobs.merge("sce", BASE, List.of(M0, M1), Map.of("select_topk", 0.0), List.of()));
    }

    @Test
    void ramKeepsLoneDeltasWholeAndAveragesSharedOnes() {
        float[] base = {0, 0, 0, 0};
        float[] a = {1, 1, 0, 1e-6f};
        float[] b = {3, 0, 0, 0};
        float[] out = Jobs.merge("ram", base, List.of(a, b), Map.of(), List.of());
        assertArrayEquals(new float[]{2, 1, 0, 0}, out);
        // ramplus_tl: a shares 1 and owns 1 entry -> λ_a = 1 + 0.1·clamp(1, 0, 0.2) = 1.02; b owns none.
        float[] plus = Jobs.merge("ramplus_tl", base, List.of(a, b), Map.of(), List.of());
        assertArrayEquals(new float[]{2, 1.02f, 0, 0}, plus, 1e-7f);
        // ε = 0 with no unique entries is well defined (upstream divides 0 by 0).
        float[] same = Jobs.merge("ramplus_tl", base, List.of(b, b), Map.of("epsilon", 0.0), List.of());
        assertArrayEquals(new float[]{3, 0, 0, 0}, same);
    }

    @Test
    void karcherIgnoresZeroDirectionsButCountsThemInTheScale() {
        float[] zero = new float[BASE.length];
        float[] out = Jobs.merge("karcher", null, List.of(M0, zero), Map.of(), List.of());
        // The only direction is M0's; the scale is (‖M0‖ + 0)/2.
        for (int j = 0; j < out.length; j++) {
            assertEquals(M0[j] / 2, out[j], 1e-7);
        }
        assertArrayEquals(new float[BASE.length], Jobs.merge("karcher", null, List.of(zero, zero), Map.of(), List.of()));
    }

    @Test
    void passthroughScales() {
        assertArrayEquals(M0, Jobs.merge("passthrough", null, List.of(M0), Map.of(), List.of()));
        float[] half = Jobs.merge("passthrough", null, List.of(M0), Map.of(), List.of(Map.of("scale", 0.5)));
        for (int j = 0; j < half.length; j++) {
            assertEquals(M0[j] * 0.5f, half[j]);
        }
    }

    @Test
    void arceeFusionAboveAMillionElementsSamplesDeterministically() {
        int n = ArceeFusion.SAMPLE + 4096;
        float[] base = gaussian(9, n, 1.0);
        float[] other = plus(base, gaussian(10, n, 0.5));
        long[] shape = {n / 64, 64};
        MergeMethod fusion = MethodRegistry.get("arcee_fusion");
        float[] a = fusion.merge(Jobs.job("arcee_fusion", shape, base, List.of(other), Map.of(), List.of(), 3, w -> { }));
        float[] b = fusion.merge(Jobs.job("arcee_fusion", shape, base, List.of(other), Map.of(), List.of(), 3, w -> { }));
        assertArrayEquals(a, b);
        int taken = 0;
        for (int j = 0; j < n; j++) {
            if (a[j] != base[j]) {
                taken++;
            }
        }
        // An upper-outlier rule takes a small but non-empty share of the changes.
        assertTrue(taken > 0 && taken < n / 5, "took " + taken);
    }

    private static float[] minus(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int j = 0; j < a.length; j++) {
            out[j] = a[j] - b[j];
        }
        return out;
    }
}
