package dev.mergelab.lab.search;

import dev.mergelab.MergeLabException;
import dev.mergelab.recipe.Suggest;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Typed, line-aware reads of a search configuration's YAML node graph, with the recipe parser's conventions: every
 * failure is one line {@code FILE:LINE: message} naming the path of the value ({@code tasks[1].weight}), unknown
 * keys get the closest known key, and only plain YAML is read (no tags, no merge keys, bounded size, depth and
 * aliases). The recipe package keeps its own reader private, hence this small one.
 */
final class SearchYaml {
    static final int MAX_CHARS = 1 << 20;

    private final String source;
    private final SafeConstructor scalars = new SafeConstructor(new LoaderOptions());

    SearchYaml(String source) {
        this.source = source;
    }

    String source() {
        return source;
    }

    Node compose(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_CHARS);
        options.setNestingDepthLimit(32);
        options.setMaxAliasesForCollections(64);
        options.setAllowRecursiveKeys(false);
        options.setAllowDuplicateKeys(false);
        options.setMergeOnCompose(false);
        options.setTagInspector(tag -> false);
        Node root;
        try {
            root = new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw at(mark == null ? 0 : mark.getLine() + 1, "YAML syntax error: " + problem,
                    "check indentation, brackets, and that every key ends with ':'");
        } catch (YAMLException | IllegalArgumentException e) {
            throw at(0, "cannot read YAML: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), null);
        }
        if (root == null) {
            throw at(1, "the search configuration is empty", "write genome: (or layer_path:) and tasks:");
        }
        return root;
    }

    static int line(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    MergeLabException at(int line, String message, String hint) {
        String where = line > 0 ? source + ":" + line : source;
        return MergeLabException.input(printable(where + ": " + message), hint);
    }

    MergeLabException error(Node node, String message) {
        return at(line(node), message, null);
    }

    MergeLabException error(Node node, String message, String hint) {
        return at(line(node), message, hint);
    }

    boolean isNull(Node node) {
        return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    /** The entries of a mapping by key, in document order; unknown and duplicate keys are errors. */
    SequencedMap<String, NodeTuple> mapping(Node node, String path, List<String> allowed) {
        if (!(node instanceof MappingNode map) || !map.getTag().equals(Tag.MAP)) {
            throw error(node, path + " must be a mapping of key: value, got " + describe(node));
        }
        SequencedMap<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode s) || !s.getTag().equals(Tag.STR) || s.getValue().isBlank()) {
                throw error(k, "keys of " + path + " must be plain names, got " + describe(k));
            }
            String key = s.getValue();
            if (!allowed.contains(key)) {
                String guess = Suggest.closest(key, allowed).map(g -> " (did you mean '" + g + "'?)").orElse("");
                throw error(k, "unknown key '" + key + "' in " + path + guess, "valid keys: " + String.join(", ", allowed));
            }
            if (out.putIfAbsent(key, t) != null) {
                throw error(k, "duplicate key '" + key + "' in " + path);
            }
        }
        return out;
    }

    /** The value of {@code key}, or null when absent or written as null (pydantic treats both as the default). */
    Node value(SequencedMap<String, NodeTuple> map, String key) {
        NodeTuple t = map.get(key);
        return t == null || isNull(t.getValueNode()) ? null : t.getValueNode();
    }

    List<Node> list(Node node, String path) {
        if (!(node instanceof SequenceNode seq) || !seq.getTag().equals(Tag.SEQ)) {
            throw error(node, path + " must be a list, got " + describe(node));
        }
        if (seq.getValue().isEmpty()) {
            throw error(node, path + " is an empty list");
        }
        return seq.getValue();
    }

    String string(Node node, String path) {
        if (!(node instanceof ScalarNode s) || !s.getTag().equals(Tag.STR)) {
            throw error(node, path + " must be a string, got " + describe(node), "quote it to use it as text");
        }
        if (s.getValue().isBlank()) {
            throw error(node, path + " is empty");
        }
        return s.getValue().strip();
    }

    boolean bool(Node node, String path) {
        if (node instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
            return (Boolean) scalars.new ConstructYamlBool().construct(s);
        }
        throw error(node, path + " must be true or false, got " + describe(node));
    }

    long integer(Node node, String path) {
        if (node instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
            Object v = scalars.new ConstructYamlInt().construct(s);
            if (v instanceof Number n && !(v instanceof java.math.BigInteger)) {
                return n.longValue();
            }
            throw error(node, path + " is too large: " + s.getValue());
        }
        throw error(node, path + " must be an integer, got " + describe(node));
    }

    double number(Node node, String path) {
        if (node instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
            return integer(node, path);
        }
        if (node instanceof ScalarNode s && s.getTag().equals(Tag.FLOAT)) {
            double d = (Double) scalars.new ConstructYamlFloat().construct(s);
            if (!Double.isFinite(d)) {
                throw error(node, path + " must be a finite number, got " + s.getValue());
            }
            return d;
        }
        throw error(node, path + " must be a number, got " + describe(node));
    }

    static String describe(Node node) {
        return switch (node) {
            case MappingNode ignored -> "a mapping";
            case SequenceNode ignored -> "a list";
            case ScalarNode s when s.getTag().equals(Tag.NULL) -> "nothing";
            case ScalarNode s when s.getTag().equals(Tag.STR) -> "text '" + abbreviate(s.getValue()) + "'";
            case ScalarNode s when Set.of(Tag.INT, Tag.FLOAT).contains(s.getTag()) -> "the number " + s.getValue();
            case ScalarNode s when s.getTag().equals(Tag.BOOL) -> "the boolean " + s.getValue();
            case ScalarNode s -> "'" + abbreviate(s.getValue()) + "'";
            default -> "an unsupported YAML value";
        };
    }

    private static String abbreviate(String s) {
        String one = s.replace('\n', ' ').replace('\r', ' ');
        return one.length() > 40 ? one.substring(0, 37) + "..." : one;
    }

    /** Control, format and separator characters become {@code \\uXXXX} so the message stays one harmless line. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.chars().forEach(c -> {
            int type = Character.getType(c);
            boolean bad = type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || Character.isSurrogate((char) c);
            sb.append(bad ? String.format("\\u%04x", c) : String.valueOf((char) c));
        });
        return sb.toString();
    }
}
