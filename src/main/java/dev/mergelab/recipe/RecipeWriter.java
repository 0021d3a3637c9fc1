package dev.mergelab.recipe;

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Writes a {@link Recipe} back as YAML, in mergekit's style (block mappings, numeric lists such as
 * layer ranges and gradients in flow style). The output builds a node graph and lets SnakeYAML's emitter
 * quote strings, so a model ref like {@code yes} or {@code 1e5} comes back as text. Parsing the output
 * gives an equal recipe apart from line numbers.
 */
final class RecipeWriter {
    private RecipeWriter() {}

    static String toYaml(Recipe r) {
        List<NodeTuple> top = new ArrayList<>();
        r.name().ifPresent(n -> put(top, "name", str(n.value())));
        put(top, "merge_method", str(r.mergeMethod().value()));
        r.baseModel().ifPresent(b -> put(top, "base_model", str(b.raw())));
        r.inputs().ifPresent(in -> putInputs(top, in));
        if (!r.modules().isEmpty()) {
            List<NodeTuple> modules = new ArrayList<>();
            for (OutputModule m : r.modules().values()) {
                List<NodeTuple> body = new ArrayList<>();
                putInputs(body, m.inputs());
                putParams(body, m.parameters());
                put(modules, m.name(), map(body));
            }
            put(top, "modules", map(modules));
        }
        putParams(top, r.parameters());
        r.dtype().ifPresent(d -> put(top, "dtype", str(d.written())));
        r.outDtype().ifPresent(d -> put(top, "out_dtype", str(d.written())));
        r.tokenizerSource().ifPresent(s -> put(top, "tokenizer_source", tokenizerSource(s)));
        r.tokenizer().ifPresent(t -> {
            List<NodeTuple> body = new ArrayList<>();
            put(body, "source", tokenizerSource(t.source()));
            t.padToMultipleOf().ifPresent(p -> put(body, "pad_to_multiple_of", scalar(Tag.INT, p.value().toString())));
            put(top, "tokenizer", map(body));
        });
        r.chatTemplate().ifPresent(c -> put(top, "chat_template", str(c.value())));

        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setIndicatorIndent(0);
        options.setWidth(120);
        options.setExplicitStart(false);
        StringWriter out = new StringWriter();
        new Yaml(options).serialize(map(top), out);
        return out.toString();
    }

    private static void putInputs(List<NodeTuple> into, ModelsOrSlices inputs) {
        switch (inputs) {
            case ModelsOrSlices.Models m -> {
                List<Node> items = new ArrayList<>();
                for (InputModel im : m.models()) {
                    List<NodeTuple> body = new ArrayList<>();
                    put(body, "model", str(im.model().raw()));
                    putParams(body, im.parameters());
                    items.add(map(body));
                }
                put(into, "models", seq(items, false));
            }
            case ModelsOrSlices.Slices s -> {
                List<Node> items = new ArrayList<>();
                for (OutputSlice os : s.slices()) {
                    List<NodeTuple> body = new ArrayList<>();
                    List<Node> sources = new ArrayList<>();
                    for (InputSlice src : os.sources()) {
                        List<NodeTuple> sb = new ArrayList<>();
                        put(sb, "model", str(src.model().raw()));
                        put(sb, "layer_range", seq(List.of(integer(src.layerRange().start()),
                                integer(src.layerRange().end())), true));
                        putParams(sb, src.parameters());
                        sources.add(map(sb));
                    }
                    put(body, "sources", seq(sources, false));
                    os.baseModel().ifPresent(b -> put(body, "base_model", str(b.raw())));
                    os.residualWeight().ifPresent(w -> put(body, "residual_weight", literal(Literal.Num.of(w.value()))));
                    putParams(body, os.parameters());
                    items.add(map(body));
                }
                put(into, "slices", seq(items, false));
            }
        }
    }

    private static void putParams(List<NodeTuple> into, Parameters params) {
        if (params.isEmpty()) {
            return;
        }
        List<NodeTuple> body = new ArrayList<>();
        for (Parameters.Parameter p : params.byName().values()) {
            put(body, p.name(), value(p.value()));
        }
        put(into, "parameters", map(body));
    }

    private static Node value(ParamValue v) {
        return switch (v) {
            case ParamValue.Scalar s -> literal(s.value());
            case ParamValue.Gradient g -> seq(g.items().stream().map(s -> literal(s.value())).toList(), g.numeric());
            case ParamValue.FilterList f -> {
                List<Node> items = new ArrayList<>();
                for (ParamValue.FilterEntry e : f.entries()) {
                    List<NodeTuple> body = new ArrayList<>();
                    e.filter().ifPresent(x -> put(body, "filter", str(x)));
                    put(body, "value", value(e.value()));
                    items.add(map(body));
                }
                yield seq(items, false);
            }
        };
    }

    private static Node tokenizerSource(TokenizerSource s) {
        return switch (s) {
            case TokenizerSource.Base b -> str("base");
            case TokenizerSource.Model m -> str(m.model().raw());
        };
    }

    private static Node literal(Literal l) {
        return switch (l) {
            case Literal.Num n when n.integral() -> integer((long) n.value());
            case Literal.Num n -> scalar(Tag.FLOAT, floatText(n.value()));
            case Literal.Bool b -> scalar(Tag.BOOL, Boolean.toString(b.value()));
            case Literal.Text t -> str(t.value());
        };
    }

    /**
     * Shortest round-trip decimal, with a dot and a signed exponent so that YAML 1.1 readers (PyYAML as
     * well as SnakeYAML) read it back as a float: {@code 1.0E10} becomes {@code 1.0e+10}.
     */
    static String floatText(double d) {
        String s = Double.toString(d).toLowerCase(Locale.ROOT);
        int e = s.indexOf('e');
        if (e >= 0 && s.charAt(e + 1) != '-') {
            s = s.substring(0, e + 1) + "+" + s.substring(e + 1);
        }
        return s;
    }

    private static Node integer(long v) {
        return scalar(Tag.INT, Long.toString(v));
    }

    private static Node str(String s) {
        boolean multiline = s.indexOf('\n') >= 0;
        return new ScalarNode(Tag.STR, s, null, null,
                multiline ? DumperOptions.ScalarStyle.LITERAL : DumperOptions.ScalarStyle.PLAIN);
    }

    private static Node scalar(Tag tag, String text) {
        return new ScalarNode(tag, text, null, null, DumperOptions.ScalarStyle.PLAIN);
    }

    private static Node seq(List<Node> items, boolean flow) {
        return new SequenceNode(Tag.SEQ, items, flow ? DumperOptions.FlowStyle.FLOW : DumperOptions.FlowStyle.BLOCK);
    }

    private static Node map(List<NodeTuple> entries) {
        return new MappingNode(Tag.MAP, entries, DumperOptions.FlowStyle.BLOCK);
    }

    private static void put(List<NodeTuple> into, String key, Node value) {
        into.add(new NodeTuple(str(key), value));
    }
}
