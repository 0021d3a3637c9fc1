package dev.mergelab.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Parses mergekit-style example recipes and checks the model, lines included. */
class RecipeExamplesTest {

    @ParameterizedTest
    @FieldSource("dev.mergelab.recipe.Recipes#EXAMPLES")
    void everyExampleParses(String name) {
        Recipe r = Recipes.load(name);
        assertFalse(r.mergeMethod().value().isBlank());
        assertFalse(r.layout().modelRefs().isEmpty());
    }

    @Test
    void linear() {
        Recipe r = Recipes.load("linear");
        assertEquals("linear", r.mergeMethod().value());
        assertEquals(12, r.mergeMethod().line());
        var models = assertInstanceOf(ModelsOrSlices.Models.class, r.inputs().orElseThrow()).models();
        assertEquals(List.of("org/model-a", "org/model-b", "./local/model-c"),
                models.stream().map(m -> m.model().raw()).toList());
        assertEquals(3, models.get(0).model().line());
        assertEquals(new Literal.Num(0.5, false), scalar(models.get(1).parameters(), "weight"));
        assertEquals(8, models.get(1).parameters().get("weight").orElseThrow().line());
        assertEquals(new Literal.Bool(true), scalar(r.parameters(), "normalize"));
        assertEquals(DType.F16, r.dtype().orElseThrow().dtype());
        assertTrue(r.baseModel().isEmpty());
    }

    @Test
    void tiesGradientAndFilterParameters() {
        Recipe r = Recipes.load("ties");
        var models = ((ModelsOrSlices.Models) r.inputs().orElseThrow()).models();
        var density = assertInstanceOf(ParamValue.Gradient.class, models.get(0).parameters().get("density").orElseThrow().value());
        assertEquals(List.of(new Literal.Num(1, true), new Literal.Num(0.7, false), new Literal.Num(0.1, false)),
                density.items().stream().map(ParamValue.Scalar::value).toList());
        assertTrue(density.numeric());
        var weight = assertInstanceOf(ParamValue.FilterList.class, models.get(2).parameters().get("weight").orElseThrow().value());
        assertEquals(2, weight.entries().size());
        assertEquals("mlp", weight.entries().get(0).filter().orElseThrow());
        assertTrue(weight.entries().get(1).filter().isEmpty());
        assertEquals(14, weight.entries().get(0).line());
        assertEquals("TheBloke/Llama-2-13B-fp16", r.baseModel().orElseThrow().raw());
    }

    @Test
    void gradientSlerpSlices() {
        Recipe r = Recipes.load("gradient_slerp");
        var slices = assertInstanceOf(ModelsOrSlices.Slices.class, r.inputs().orElseThrow()).slices();
        assertEquals(1, slices.size());
        assertEquals(new LayerRange(0, 40, 4), slices.getFirst().sources().getFirst().layerRange());
        assertEquals(40, slices.getFirst().layerCount());
        var t = assertInstanceOf(ParamValue.FilterList.class, r.parameters().get("t").orElseThrow().value());
        assertEquals(List.of("self_attn", "mlp"), t.entries().stream().limit(2).map(e -> e.filter().orElseThrow()).toList());
        assertInstanceOf(ParamValue.Gradient.class, t.entries().get(0).value());
        assertInstanceOf(ParamValue.Scalar.class, t.entries().get(2).value());
    }

    @Test
    void passthroughStacksLayers() {
        Recipe r = Recipes.load("passthrough");
        var layout = r.layout();
        var slices = layout.module(0).slices();
        assertEquals(2, slices.size());
        assertEquals(24, slices.get(0).layerCount().orElseThrow());
        assertEquals(new LayerRange(8, 32, 7), slices.get(1).sources().getFirst().layerRange().orElseThrow());
        assertEquals(List.of("org/llama-7b", "org/llama-7b-chat"), layout.modelRefs());
        assertEquals(DType.BF16, r.dtype().orElseThrow().dtype());
    }

    @Test
    void dareTiesBaseWithoutParametersAndTokenizerSource() {
        Recipe r = Recipes.load("dare_ties");
        var models = ((ModelsOrSlices.Models) r.inputs().orElseThrow()).models();
        assertTrue(models.getFirst().parameters().isEmpty());
        assertInstanceOf(TokenizerSource.Base.class, r.tokenizerSource().orElseThrow());
        assertEquals(21, r.tokenizerSource().orElseThrow().line());
        // The base is listed, so it is not added again.
        assertEquals(4, r.layout().module(0).slices().getFirst().sources().size());
    }

    @Test
    void modelStockAddsTheBaseAsAnInput() {
        Recipe r = Recipes.load("model_stock");
        var slice = r.layout().module(0).slices().getFirst();
        assertEquals(List.of("org/ft-one", "org/ft-two", "org/ft-three", "org/base@main"),
                slice.sources().stream().map(s -> s.model().raw()).toList());
        assertTrue(slice.sources().getLast().addedBase());
        assertTrue(slice.sources().getLast().allLayers());
        assertTrue(slice.layerCount().isEmpty());
        assertTrue(slice.isBase("org/base@main"));
        assertEquals(List.of("org/base@main", "org/ft-one", "org/ft-two", "org/ft-three"), r.layout().modelRefs());
    }

    @Test
    void dellaDtypes() {
        Recipe r = Recipes.load("della");
        assertEquals(DType.BF16, r.dtype().orElseThrow().dtype());
        assertEquals(DType.F16, r.outDtype().orElseThrow().dtype());
        assertEquals(new Literal.Num(1.1, false), scalar(r.parameters(), "lambda"));
    }

    @Test
    void nuslerpLoraRefAndTokenizerBlock() {
        Recipe r = Recipes.load("nuslerp");
        assertTrue(r.layout().modelRefs().contains("org/reasoning+org/reasoning-lora"));
        TokenizerConfig tok = r.tokenizer().orElseThrow();
        assertEquals("org/instruct", ((TokenizerSource.Model) tok.source()).model().raw());
        assertEquals(64, tok.padToMultipleOf().orElseThrow().value());
        assertEquals("chatml", r.chatTemplate().orElseThrow().value());
        assertEquals(tok.source(), r.effectiveTokenizerSource().orElseThrow());
    }

    @Test
    void multislerpNameAndIntegers() {
        Recipe r = Recipes.load("multislerp");
        assertEquals("three-way-multislerp", r.name().orElseThrow().value());
        var models = ((ModelsOrSlices.Models) r.inputs().orElseThrow()).models();
        assertEquals(new Literal.Num(2, true), scalar(models.get(1).parameters(), "weight"));
        assertEquals(new Literal.Num(1e-8, false), scalar(r.parameters(), "eps"));
    }

    @Test
    void modulesBecomeOneLayoutModuleEach() {
        Recipe r = Recipes.load("modules");
        assertTrue(r.inputs().isEmpty());
        assertEquals(List.of("text_decoder", "vision_tower"), List.copyOf(r.modules().keySet()));
        var layout = r.layout();
        assertEquals(2, layout.modules().size());
        assertEquals("vision_tower", layout.module(1).name().orElseThrow());
        // models: in a module gets the base appended, like the top-level form.
        assertEquals(3, layout.module(0).slices().getFirst().sources().size());
        assertEquals(List.of("org/vlm-base", "org/vlm-a", "org/vlm-b"), layout.modelRefs());
    }

    private static Literal scalar(Parameters p, String name) {
        return ((ParamValue.Scalar) p.get(name).orElseThrow().value()).value();
    }
}
