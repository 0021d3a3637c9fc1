package dev.mergelab.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/** Properties of gradient and filter evaluation (METHODS.md §5). */
class ResolutionProperties {

    @Property
    void numericGradientEndsAreExact(@ForAll("numericGradients") ParamValue.Gradient g) {
        assertEquals(g.items().getFirst().value().numericValue(), eval(g, 0.0).numericValue());
        assertEquals(g.items().getLast().value().numericValue(), eval(g, 1.0).numericValue());
    }

    @Property
    void pickGradientEndsAreTheEndElements(@ForAll("textGradients") ParamValue.Gradient g) {
        assertEquals(g.items().getFirst().value(), eval(g, 0.0));
        assertEquals(g.items().getLast().value(), eval(g, 1.0));
    }

    @Property
    void oneElementGradientIsConstant(@ForAll("literals") Literal only, @ForAll @DoubleRange(min = 0, max = 1) double t) {
        Literal v = eval(new ParamValue.Gradient(List.of(new ParamValue.Scalar(only, 1)), 1), t);
        if (only.isNumeric()) {
            assertEquals(only.numericValue(), v.numericValue());
        } else {
            assertEquals(only, v);
        }
    }

    @Property
    void interpolationStaysBetweenNeighbours(@ForAll("numericGradients") ParamValue.Gradient g,
            @ForAll @DoubleRange(min = 0, max = 1) double t) {
        int last = g.items().size() - 1;
        int i0 = (int) (t * last);
        int i1 = Math.min(last, i0 + 1);
        double a = g.items().get(i0).value().numericValue();
        double b = g.items().get(i1).value().numericValue();
        double v = eval(g, t).numericValue();
        double slack = 1e-9 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
        assertTrue(v >= Math.min(a, b) - slack && v <= Math.max(a, b) + slack, v + " outside [" + a + ", " + b + "]");
    }

    @Property
    void gradientWithOnePointPerLayerGivesEachLayerItsPoint(@ForAll("numericGradients") ParamValue.Gradient g) {
        int n = g.items().size();
        for (int idx = 0; idx < n; idx++) {
            double expected = g.items().get(n == 1 ? 0 : idx).value().numericValue();
            assertEquals(expected, eval(g, LayerPosition.t(idx, n)).numericValue(), 1e-9 * Math.max(1, Math.abs(expected)));
        }
    }

    @Property
    void firstMatchingFilterWins(@ForAll("filterLists") ParamValue.FilterList list, @ForAll("tensorNames") String tensor) {
        Optional<Literal> got = ParameterResolver.evaluate(list, tensor, 0.0);
        Optional<Literal> expected = Optional.empty();
        for (ParamValue.FilterEntry e : list.entries()) {
            String f = e.filter().orElse(null);
            if (f == null || f.equals("*") || tensor.contains(f)) {
                expected = Optional.of(((ParamValue.Scalar) e.value()).value());
                break;
            }
        }
        assertEquals(expected, got);
    }

    @Property(tries = 300)
    void paramValuesSurviveWritingAndParsing(@ForAll("paramValues") ParamValue v) {
        Recipe r = new Recipe("gen.yml", "", new Located<>("linear", 1), Optional.empty(),
                Optional.of(new ModelsOrSlices.Models(List.of(new InputModel(new ModelRef("m", 1), Parameters.NONE, 1)), 1)),
                new java.util.LinkedHashMap<>(), Parameters.of(java.util.Map.of("p", v)), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        Recipe again = Recipe.parse(r.toYaml(), "gen.yml");
        assertEquals(Lines.strip(v), Lines.strip(again.parameters().get("p").orElseThrow().value()));
    }

    private static Literal eval(ParamValue v, double t) {
        return ParameterResolver.evaluate(v, "model.layers.0.mlp.up_proj.weight", t).orElseThrow();
    }

    @Provide
    Arbitrary<ParamValue.Gradient> numericGradients() {
        Arbitrary<Literal> item = Arbitraries.oneOf(
                Arbitraries.doubles().between(-1e6, 1e6).map(Literal.Num::of),
                Arbitraries.longs().between(-1000, 1000).map(l -> (Literal) new Literal.Num(l, true)),
                Arbitraries.of(true, false).map(Literal.Bool::new));
        return gradients(item);
    }

    @Provide
    Arbitrary<ParamValue.Gradient> textGradients() {
        return gradients(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(5).map(Literal.Text::new));
    }

    private static Arbitrary<ParamValue.Gradient> gradients(Arbitrary<Literal> item) {
        return item.map(l -> new ParamValue.Scalar(l, 1)).list().ofMinSize(1).ofMaxSize(12)
                .map(items -> new ParamValue.Gradient(items, 1));
    }

    @Provide
    Arbitrary<Literal> literals() {
        Arbitrary<String> tricky = Arbitraries.of("yes", "no", "null", "~", "1e5", "0x10", "true", ".inf", "", " lead",
                "trail ", "2024-01-01", "<<", "=", "a: b", "#c", "- x", "[1]", "{a}", "multi\nline", "tab\there", "é✓", "'q'", "\"d\"");
        Arbitrary<String> random = Arbitraries.strings().withChars("ab :#-[]{},&*!|>%@`'\"\n\té").ofMaxLength(12);
        return Arbitraries.oneOf(
                Arbitraries.doubles().filter(Double::isFinite).map(Literal.Num::of),
                Arbitraries.longs().between(-(1L << 53), 1L << 53).map(l -> new Literal.Num(l, true)),
                Arbitraries.of(true, false).map(Literal.Bool::new),
                Arbitraries.oneOf(tricky, random).map(Literal.Text::new));
    }

    @Provide
    Arbitrary<ParamValue> paramValues() {
        Arbitrary<ParamValue.Plain> plain = Arbitraries.oneOf(
                literals().map(l -> new ParamValue.Scalar(l, 1)),
                literals().map(l -> new ParamValue.Scalar(l, 1)).list().ofMinSize(1).ofMaxSize(5)
                        .map(items -> new ParamValue.Gradient(items, 1)));
        Arbitrary<ParamValue.FilterEntry> entry = Combinators.combine(
                Arbitraries.of("self_attn", "mlp", "*", "layers.1", "").optional(), plain)
                .as((f, v) -> new ParamValue.FilterEntry(f, v, 1));
        return Arbitraries.oneOf(plain.map(p -> (ParamValue) p),
                entry.list().ofMinSize(1).ofMaxSize(4).map(es -> new ParamValue.FilterList(es, 1)));
    }

    @Provide
    Arbitrary<ParamValue.FilterList> filterLists() {
        Arbitrary<ParamValue.FilterEntry> entry = Combinators.combine(
                Arbitraries.of("self_attn", "mlp", "*", "layers.1", "proj", "norm", "x").optional(),
                Arbitraries.integers().between(0, 99))
                .as((f, i) -> new ParamValue.FilterEntry(f, new ParamValue.Scalar(new Literal.Num(i, true), 1), 1));
        return entry.list().ofMinSize(1).ofMaxSize(6).map(es -> new ParamValue.FilterList(es, 1));
    }

    @Provide
    Arbitrary<String> tensorNames() {
        return Arbitraries.of("model.layers.1.self_attn.q_proj.weight", "model.layers.12.mlp.up_proj.weight",
                "model.norm.weight", "lm_head.weight", "model.embed_tokens.weight", "");
    }
}
