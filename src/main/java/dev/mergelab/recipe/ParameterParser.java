package dev.mergelab.recipe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads {@code parameters:} blocks into {@link Parameters}. Parameter names are not checked here: which
 * names exist depends on the merge method, which the engine checks with {@link RecipeChecks}.
 */
final class ParameterParser {
    private static final List<String> FILTER_KEYS = List.of("filter", "value");

    private final YamlNodes nodes;

    ParameterParser(YamlNodes nodes) {
        this.nodes = nodes;
    }

    /** A {@code parameters:} value; a null value (an empty block) means no parameters. */
    Parameters block(Node node, String path) {
        if (nodes.isNull(node)) {
            return new Parameters(new LinkedHashMap<>(), YamlNodes.line(node));
        }
        if (!(node instanceof MappingNode map)) {
            throw nodes.error(node, path + " must be a mapping of name: value, got " + YamlNodes.describe(node));
        }
        SequencedMap<String, Parameters.Parameter> out = new LinkedHashMap<>();
        for (NodeTuple tuple : map.getValue()) {
            Node keyNode = tuple.getKeyNode();
            String name = nodes.key(keyNode, path);
            if (out.containsKey(name)) {
                throw nodes.error(keyNode, "duplicate parameter '" + name + "' in " + path);
            }
            ParamValue value = value(tuple.getValueNode(), path + "." + name);
            out.put(name, new Parameters.Parameter(name, value, YamlNodes.line(keyNode)));
        }
        return new Parameters(out, YamlNodes.line(node));
    }

    /** A scalar, a gradient list, or a list of {@code {filter, value}} entries. */
    ParamValue value(Node node, String path) {
        if (node instanceof MappingNode) {
            throw nodes.error(node, path + ": a {filter, value} entry must be inside a list",
                    "write '- filter: ...' and '  value: ...' as list items");
        }
        if (node instanceof ScalarNode) {
            return new ParamValue.Scalar(nodes.literal(node, path), YamlNodes.line(node));
        }
        List<Node> items = nodes.list(node, path);
        boolean anyMapping = items.stream().anyMatch(n -> n instanceof MappingNode);
        if (!anyMapping) {
            return gradient(node, items, path);
        }
        if (!items.stream().allMatch(n -> n instanceof MappingNode)) {
            throw nodes.error(node, path + " mixes plain values with {filter, value} entries",
                    "use either a gradient list of values or a list of {filter, value} entries");
        }
        List<ParamValue.FilterEntry> entries = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            entries.add(filterEntry(items.get(i), path + "[" + i + "]"));
        }
        return new ParamValue.FilterList(entries, YamlNodes.line(node));
    }

    private ParamValue.Gradient gradient(Node node, List<Node> items, String path) {
        List<ParamValue.Scalar> scalars = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            if (item instanceof SequenceNode) {
                throw nodes.error(item, path + "[" + i + "] is a nested list; a gradient is a flat list of values");
            }
            scalars.add(new ParamValue.Scalar(nodes.literal(item, path + "[" + i + "]"), YamlNodes.line(item)));
        }
        return new ParamValue.Gradient(scalars, YamlNodes.line(node));
    }

    private ParamValue.FilterEntry filterEntry(Node node, String path) {
        SequencedMap<String, NodeTuple> keys = nodes.mapping(node, path, FILTER_KEYS);
        Optional<String> filter = Optional.empty();
        NodeTuple f = keys.get("filter");
        if (f != null && !nodes.isNull(f.getValueNode())) {
            filter = Optional.of(nodes.string(f.getValueNode(), path + ".filter"));
        }
        NodeTuple v = keys.get("value");
        if (v == null) {
            throw nodes.error(node, path + " has no 'value'");
        }
        Node valueNode = v.getValueNode();
        if (valueNode instanceof MappingNode) {
            throw nodes.error(valueNode, path + ".value must be a value or a gradient list, got a mapping");
        }
        ParamValue.Plain value = valueNode instanceof SequenceNode
                ? gradientOnly(valueNode, path + ".value")
                : new ParamValue.Scalar(nodes.literal(valueNode, path + ".value"), YamlNodes.line(valueNode));
        return new ParamValue.FilterEntry(filter, value, YamlNodes.line(node));
    }

    private ParamValue.Gradient gradientOnly(Node node, String path) {
        List<Node> items = nodes.list(node, path);
        if (items.stream().anyMatch(n -> n instanceof MappingNode)) {
            throw nodes.error(node, path + ": filter entries cannot be nested inside a filter value");
        }
        return gradient(node, items, path);
    }
}
