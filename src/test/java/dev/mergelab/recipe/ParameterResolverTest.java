package dev.mergelab.recipe;

import dev.mergelab.method.Scope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Resolution tables worked out by hand from METHODS.md §5. */
class ParameterResolverTest {
    private static final double EPS = 1e-12;

    @Test
    void gradientSlerpTable() {
        Recipe r = Recipes.load("gradient_slerp");
        ParameterResolver res = new ParameterResolver(r);
        ModuleLayout m = r.layout().module(0);
        // 40 layers, 5-point gradients. idx 13: t = 1/3, s = 4/3, i0 = 1, f = 1/3.
        assertEquals(0.0, t(res, "model.layers.0.self_attn.q_proj.weight", m.layerSite(0, 0, 40)), EPS);
        assertEquals(1.0, t(res, "model.layers.39.self_attn.q_proj.weight", m.layerSite(0, 39, 40)), EPS);
        assertEquals(2.0 / 3 * 0.5 + 1.0 / 3 * 0.3, t(res, "model.layers.13.self_attn.o_proj.weight", m.layerSite(0, 13, 40)), EPS);
        assertEquals(2.0 / 3 * 0.5 + 1.0 / 3 * 0.7, t(res, "model.layers.13.mlp.up_proj.weight", m.layerSite(0, 13, 40)), EPS);
        // idx 20: t = 20/39, s = 80/39 = 2.0513, i0 = 2, f = 2/39.
        double f = 2.0 / 39;
        assertEquals(0.3 + 0.4 * f, t(res, "model.layers.20.self_attn.k_proj.weight", m.layerSite(0, 20, 40)), EPS);
        assertEquals(0.7 - 0.4 * f, t(res, "model.layers.20.mlp.down_proj.weight", m.layerSite(0, 20, 40)), EPS);
        // Neither filter matches: the catch-all entry.
        assertEquals(0.5, t(res, "model.layers.20.input_layernorm.weight", m.layerSite(0, 20, 40)), EPS);
        assertEquals(0.5, t(res, "model.embed_tokens.weight", m.preWeightSite()), EPS);
        assertEquals(0.5, t(res, "lm_head.weight", m.postWeightSite()), EPS);
    }

    private static double t(ParameterResolver res, String tensor, Site site) {
        Resolved v = res.global("t", tensor, site).orElseThrow();
        assertEquals(Resolved.Level.TOP, v.level());
        return v.value().numericValue();
    }

    @Test
    void tiesPerModelTable() {
        Recipe r = Recipes.load("ties");
        ParameterResolver res = new ParameterResolver(r);
        ModuleLayout m = r.layout().module(0);
        String orca = "psmathur/orca_mini_v3_13b";
        String platypus = "garage-bAInd/Platypus2-13B";
        String wizard = "WizardLM/WizardMath-13B-V1.0";
        String base = "TheBloke/Llama-2-13B-fp16";
        // The planner learns the layer count (5 here) from the model config; density [1, .7, .1].
        double[] expectedDensity = {1.0, 0.85, 0.7, 0.4, 0.1};
        for (int idx = 0; idx < 5; idx++) {
            Site site = m.layerSite(0, idx, 5);
            String tensor = "model.layers." + idx + ".mlp.up_proj.weight";
            assertEquals(expectedDensity[idx], num(res.perModel("density", orca, tensor, site)), EPS, "idx " + idx);
            assertEquals(0.33, num(res.perModel("density", wizard, tensor, site)), EPS);
            assertEquals(0.5, num(res.perModel("weight", wizard, tensor, site)), EPS);
            assertEquals(0.0, num(res.perModel("weight", wizard, "model.layers." + idx + ".self_attn.q_proj.weight", site)), EPS);
        }
        // weight [0, .3, .7, 1] at idx 2 of 5: t = .5, s = 1.5.
        assertEquals(0.5, num(res.perModel("weight", platypus, "model.layers.2.mlp.up_proj.weight", m.layerSite(0, 2, 5))), EPS);
        // The base has no parameters and nothing above it sets weight.
        assertTrue(res.perModel("weight", base, "model.layers.2.mlp.up_proj.weight", m.layerSite(0, 2, 5)).isEmpty());
        Resolved normalize = res.global("normalize", "model.layers.2.mlp.up_proj.weight", m.layerSite(0, 2, 5)).orElseThrow();
        assertEquals(new Literal.Bool(true), normalize.value());
        assertEquals(20, normalize.line());
        // Embeddings resolve at t = 0: the first gradient point.
        assertEquals(1.0, num(res.perModel("density", orca, "model.embed_tokens.weight", m.preWeightSite())), EPS);
        assertEquals(1.0, num(res.perModel("density", orca, "lm_head.weight", m.postWeightSite())), EPS);
    }

    private static final String PRECEDENCE = """
            merge_method: linear
            modules:
              dec:
                slices:
                  - sources:
                      - model: a
                        layer_range: [0, 2]
                        parameters:
                          weight: 1
                      - model: b
                        layer_range: [0, 2]
                    parameters:
                      weight: 2
                      normalize:
                        - filter: mlp
                          value: false
                  - sources:
                      - model: a
                        layer_range: [2, 4]
                      - model: b
                        layer_range: [2, 4]
                parameters:
                  weight: 3
                  normalize: [true, false]
              enc:
                models:
                  - model: a
            parameters:
              weight: 4
              normalize: true
              extra:
                - filter: attn
                  value: 7
            """;

    @Test
    void precedenceSourceSliceModuleTop() {
        Recipe r = Recipes.parse(PRECEDENCE);
        ParameterResolver res = new ParameterResolver(r);
        Site s0 = new Site(0, 0, 0.0);
        Site s1 = new Site(0, 1, 0.0);
        Site enc = new Site(1, 0, 0.0);
        String tensor = "model.layers.0.mlp.up_proj.weight";
        assertEquals(new Resolved(new Literal.Num(1, true), Resolved.Level.SOURCE, 9), res.perModel("weight", "a", tensor, s0).orElseThrow());
        assertEquals(new Resolved(new Literal.Num(2, true), Resolved.Level.SLICE, 13), res.perModel("weight", "b", tensor, s0).orElseThrow());
        assertEquals(new Resolved(new Literal.Num(3, true), Resolved.Level.MODULE, 23), res.perModel("weight", "a", tensor, s1).orElseThrow());
        assertEquals(new Resolved(new Literal.Num(4, true), Resolved.Level.TOP, 29), res.perModel("weight", "a", tensor, enc).orElseThrow());
        // Source parameters never answer a global query.
        assertEquals(Resolved.Level.SLICE, res.global("weight", tensor, s0).orElseThrow().level());
        // The slice filter list matches mlp only; other tensors fall through to the module's bool gradient,
        // which interpolates as numbers: true = 1 at t = 0, false = 0 at t = 1.
        assertEquals(new Literal.Bool(false), res.global("normalize", tensor, s0).orElseThrow().value());
        assertEquals(Literal.Num.of(1.0), res.global("normalize", "model.layers.0.self_attn.q_proj.weight", s0).orElseThrow().value());
        assertEquals(Literal.Num.of(0.5), res.global("normalize", "x.self_attn.y", new Site(0, 0, 0.5)).orElseThrow().value());
        assertEquals(new Literal.Bool(true), res.global("normalize", tensor, enc).orElseThrow().value());
        // A filter list that matches nothing at any level leaves the parameter unset.
        assertTrue(res.global("extra", tensor, s0).isEmpty());
        assertEquals(Literal.Num.of(7).value(), res.global("extra", "model.layers.0.self_attn.q_proj.weight", s0)
                .orElseThrow().value().numericValue());
        assertTrue(res.global("missing", tensor, s0).isEmpty());
    }

    @Test
    void perModelFiltersUseTheInputNameAndEverySourceOfTheModel() {
        Recipe r = Recipes.parse("""
                merge_method: passthrough
                slices:
                  - sources:
                      - model: m
                        layer_range: [0, 1]
                        parameters:
                          scale:
                            - filter: attn
                              value: 0.5
                      - model: m
                        layer_range: [1, 2]
                        parameters:
                          scale: 2.0
                """);
        ParameterResolver res = new ParameterResolver(r);
        Site site = new Site(0, 0, 1.0);
        assertEquals(0.5, num(res.perModel("scale", "m", "layers.1.self_attn.o_proj", site)), EPS);
        // The first source's filter misses, so the second source naming the same model answers.
        assertEquals(2.0, num(res.perModel("scale", "m", "layers.1.mlp.up_proj", site)), EPS);
    }

    @Test
    void requireNamesModelTensorAndLine() {
        Recipe r = Recipes.load("ties");
        ParameterResolver res = new ParameterResolver(r);
        Site site = r.layout().module(0).layerSite(0, 0, 2);
        MergeLabException e = assertThrows(MergeLabException.class, () -> res.require("lambda2", Scope.PER_MODEL,
                "model.layers.0.mlp.up_proj.weight", "garage-bAInd/Platypus2-13B", site));
        assertEquals("ties.yml:6: missing required parameter 'lambda2' for garage-bAInd/Platypus2-13B."
                + "model.layers.0.mlp.up_proj.weight", e.getMessage());
        assertEquals(1.0, res.require("density", Scope.PER_MODEL, "x", "psmathur/orca_mini_v3_13b", site).value().numericValue());
    }

    @Test
    void nonNumericGradientPicksAnElement() {
        Recipe r = Recipes.parse("""
                merge_method: linear
                models:
                  - model: a
                parameters:
                  mode: [sum, count, 1]
                """);
        ParameterResolver res = new ParameterResolver(r);
        assertEquals(new Literal.Text("sum"), res.global("mode", "x", new Site(0, 0, 0.49)).orElseThrow().value());
        assertEquals(new Literal.Text("count"), res.global("mode", "x", new Site(0, 0, 0.5)).orElseThrow().value());
        assertEquals(new Literal.Num(1, true), res.global("mode", "x", new Site(0, 0, 1.0)).orElseThrow().value());
    }

    @Test
    void layerPositions() {
        assertEquals(1.0, LayerPosition.t(0, 1));
        assertEquals(0.0, LayerPosition.t(0, 5));
        assertEquals(0.5, LayerPosition.t(2, 5));
        assertEquals(1.0, LayerPosition.t(4, 5));
        assertThrows(IllegalArgumentException.class, () -> LayerPosition.t(5, 5));
        ModuleLayout m = Recipes.load("passthrough").layout().module(0);
        assertEquals(new Site(0, 0, 0.0), m.preWeightSite());
        assertEquals(new Site(0, 1, 0.0), m.postWeightSite());
        assertEquals(new Site(0, 1, 1.0 / 23), m.layerSite(1, 1, 24));
        assertThrows(IllegalArgumentException.class, () -> new Site(0, 0, 1.5));
    }

    private static double num(Optional<Resolved> r) {
        return r.orElseThrow().value().numericValue();
    }
}
