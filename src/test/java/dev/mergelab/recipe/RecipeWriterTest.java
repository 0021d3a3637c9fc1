package dev.mergelab.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Canonical YAML output and hashes. */
class RecipeWriterTest {

    @ParameterizedTest
    @FieldSource("dev.mergelab.recipe.Recipes#EXAMPLES")
    void writtenYamlParsesBackToTheSameRecipe(String name) {
        Recipe original = Recipes.load(name);
        String yaml = original.toYaml();
        Recipe again = Recipe.parse(yaml, "mergelab_recipe.yml");
        assertEquals(yaml, again.toYaml());
        assertEquals(original.layout().modelRefs(), again.layout().modelRefs());
        assertEquals(original.canonicalSha256(), again.canonicalSha256());
        assertEquals(Lines.strip(original.parameters()), Lines.strip(again.parameters()));
    }

    @Test
    void resolutionIsUnchangedByRewriting() {
        Recipe original = Recipes.load("ties");
        Recipe again = Recipe.parse(original.toYaml(), "x.yml");
        ParameterResolver a = new ParameterResolver(original);
        ParameterResolver b = new ParameterResolver(again);
        for (String model : original.layout().modelRefs()) {
            for (String param : List.of("weight", "density", "normalize")) {
                for (int idx = 0; idx < 7; idx++) {
                    for (String tensor : List.of("model.layers.1.mlp.up_proj.weight", "model.layers.1.self_attn.q_proj.weight")) {
                        Site site = Site.layer(0, 0, idx, 7);
                        assertEquals(a.perModel(param, model, tensor, site).map(Resolved::value),
                                b.perModel(param, model, tensor, site).map(Resolved::value));
                    }
                }
            }
        }
    }

    @Test
    void mergekitStyle() {
        String yaml = Recipes.load("gradient_slerp").toYaml();
        assertEquals("""
                merge_method: slerp
                base_model: psmathur/orca_mini_v3_13b
                slices:
                - sources:
                  - model: psmathur/orca_mini_v3_13b
                    layer_range: [0, 40]
                  - model: garage-bAInd/Platypus2-13B
                    layer_range: [0, 40]
                parameters:
                  t:
                  - filter: self_attn
                    value: [0, 0.5, 0.3, 0.7, 1]
                  - filter: mlp
                    value: [1, 0.5, 0.7, 0.3, 0]
                  - value: 0.5
                dtype: float16
                """, yaml);
    }

    @Test
    void stringsThatLookLikeOtherTypesAreQuoted() {
        Recipe r = Recipes.parse("""
                merge_method: linear
                models:
                  - model: "yes"
                    parameters:
                      weight: "0.5"
                      mode: ["null", "1e5", "a: b", "#c"]
                chat_template: "{% for m in messages %}\\n{{ m }}\\n{% endfor %}"
                """);
        Recipe again = Recipe.parse(r.toYaml(), "x.yml");
        var models = ((ModelsOrSlices.Models) again.inputs().orElseThrow()).models();
        assertEquals("yes", models.getFirst().model().raw());
        assertEquals(Lines.strip(((ModelsOrSlices.Models) r.inputs().orElseThrow()).models().getFirst().parameters()),
                Lines.strip(models.getFirst().parameters()));
        assertEquals(r.chatTemplate().orElseThrow().value(), again.chatTemplate().orElseThrow().value());
    }

    @Test
    void floatsKeepAYaml11Form() {
        assertEquals("1.0e+10", RecipeWriter.floatText(1e10));
        assertEquals("1.0e-8", RecipeWriter.floatText(1e-8));
        assertEquals("0.5", RecipeWriter.floatText(0.5));
    }

    @Test
    void textHashIgnoresLineEndingsOnly() {
        String lf = "merge_method: linear\nmodels:\n  - model: a\n";
        Recipe a = Recipe.parse(lf, "a.yml");
        Recipe crlf = Recipe.parse(lf.replace("\n", "\r\n"), "b.yml");
        Recipe commented = Recipe.parse("# hi\n" + lf, "c.yml");
        assertEquals(a.textSha256(), crlf.textSha256());
        assertNotEquals(a.textSha256(), commented.textSha256());
        assertEquals(a.canonicalSha256(), commented.canonicalSha256());
        // Pinned (sha256sum of the LF text above) so the hash stays stable across releases.
        assertEquals("217f7da479982b276193b1d2107a5753560d0f580ec06a85e90d43bb2e3f6b6b", a.textSha256());
    }
}
