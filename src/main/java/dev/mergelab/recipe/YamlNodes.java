package dev.mergelab.recipe;

import dev.mergelab.MergeLabException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.SequencedMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Typed, line-aware reads over the composed YAML graph. Every failure is a one-line
 * {@code source:line: ...} error naming the recipe path of the offending value (e.g.
 * {@code slices[1].sources[0].layer_range}).
 */
final class YamlNodes {
    /** Numbers above this lose integer precision as doubles; no recipe needs them. */
    private static final long MAX_EXACT_INT = 1L << 53;

    private final String source;
    /** Reuses SnakeYAML's YAML 1.1 scalar rules (hex ints, 1e-5, .5, ...) without constructing objects. */
    private final SafeConstructor scalars = new SafeConstructor(new LoaderOptions());

    YamlNodes(String source) {
        this.source = source;
    }

    String source() {
        return source;
    }

    static int line(Node node) {
        return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    MergeLabException error(Node node, String message) {
        return RecipeErrors.at(source, line(node), message);
    }

    MergeLabException error(Node node, String message, String hint) {
        return RecipeErrors.at(source, line(node), message, hint);
    }

    boolean isNull(Node node) {
        return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
    }

    /**
     * The entries of a mapping, keyed by their string keys in document order. Duplicate keys and keys
     * outside {@code allowed} are errors; an unknown key gets the closest allowed key as a suggestion.
     */
    SequencedMap<String, NodeTuple> mapping(Node node, String path, List<String> allowed) {
        if (!(node instanceof MappingNode map)) {
            throw error(node, path + " must be a mapping of key: value, got " + describe(node));
        }
        checkTag(map, path);
        SequencedMap<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple tuple : map.getValue()) {
            Node keyNode = tuple.getKeyNode();
            String key = key(keyNode, path);
            if (!allowed.contains(key)) {
                throw error(keyNode, "unknown key '" + key + "' in " + path + RecipeErrors.didYouMean(key, allowed),
                        "valid keys: " + String.join(", ", allowed));
            }
            if (out.containsKey(key)) {
                throw error(keyNode, "duplicate key '" + key + "' in " + path);
            }
            out.put(key, tuple);
        }
        return out;
    }

    /** A mapping key: a plain string. YAML merge keys ({@code <<}) are refused rather than half-supported. */
    String key(Node keyNode, String path) {
        if (keyNode instanceof ScalarNode k && k.getTag().equals(Tag.MERGE)) {
            throw error(keyNode, "YAML merge keys ('<<') are not supported in " + path,
                    "use an alias (*name) for a whole value instead");
        }
        if (!(keyNode instanceof ScalarNode k) || !k.getTag().equals(Tag.STR) || k.getValue().isBlank()) {
            throw error(keyNode, "keys of " + path + " must be plain names, got " + describe(keyNode));
        }
        return k.getValue();
    }

    /** A non-empty list. */
    List<Node> list(Node node, String path) {
        if (!(node instanceof SequenceNode seq)) {
            throw error(node, path + " must be a list, got " + describe(node));
        }
        checkTag(seq, path);
        if (seq.getValue().isEmpty()) {
            throw error(node, path + " is an empty list");
        }
        return seq.getValue();
    }

    /** A string scalar. Numbers and booleans are refused rather than silently turned into text. */
    String string(Node node, String path) {
        if (!(node instanceof ScalarNode s)) {
            throw error(node, path + " must be a string, got " + describe(node));
        }
        checkTag(s, path);
        if (!s.getTag().equals(Tag.STR)) {
            throw error(node, path + " must be a string, got " + describe(node), "quote it to use it as text");
        }
        return s.getValue();
    }

    /** A string that is not blank. */
    String nonBlank(Node node, String path) {
        String s = string(node, path);
        if (s.isBlank()) {
            throw error(node, path + " is empty");
        }
        return s;
    }

    ModelRef modelRef(Node node, String path) {
        if (node instanceof MappingNode) {
            throw error(node, path + " must be a model reference string, got a mapping",
                    "write it as 'org/name', 'org/name@revision' or 'BASE+ADAPTER'");
        }
        return new ModelRef(nonBlank(node, path).strip(), line(node));
    }

    /** An integer in int range (booleans and floats are refused). */
    int integer(Node node, String path) {
        if (node instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
            Object v = scalars.new ConstructYamlInt().construct(s);
            if (v instanceof Integer i) {
                return i;
            }
            throw error(node, path + " is too large: " + s.getValue());
        }
        throw error(node, path + " must be an integer, got " + describe(node));
    }

    /** A finite number (int or float). */
    double number(Node node, String path) {
        Literal lit = literal(node, path);
        if (lit instanceof Literal.Num n) {
            return n.value();
        }
        throw error(node, path + " must be a number, got " + describe(node));
    }

    /** A scalar parameter literal: number, boolean or string. Null, NaN and infinities are refused. */
    Literal literal(Node node, String path) {
        if (!(node instanceof ScalarNode s)) {
            throw error(node, path + " must be a single value, got " + describe(node));
        }
        checkTag(s, path);
        Tag tag = s.getTag();
        if (tag.equals(Tag.STR)) {
            return new Literal.Text(s.getValue());
        }
        if (tag.equals(Tag.BOOL)) {
            return new Literal.Bool((Boolean) scalars.new ConstructYamlBool().construct(s));
        }
        if (tag.equals(Tag.INT)) {
            Object v = scalars.new ConstructYamlInt().construct(s);
            BigInteger big = v instanceof BigInteger b ? b : BigInteger.valueOf(((Number) v).longValue());
            if (big.abs().compareTo(BigInteger.valueOf(MAX_EXACT_INT)) > 0) {
                throw error(node, path + " is too large: " + s.getValue());
            }
            return new Literal.Num(big.longValue(), true);
        }
        if (tag.equals(Tag.FLOAT)) {
            double d = (Double) scalars.new ConstructYamlFloat().construct(s);
            if (!Double.isFinite(d)) {
                throw error(node, path + " must be a finite number, got " + s.getValue());
            }
            return new Literal.Num(d, false);
        }
        if (tag.equals(Tag.NULL)) {
            throw error(node, path + " has no value");
        }
        throw error(node, path + " has an unsupported value " + describe(node), "quote it to use it as text");
    }

    /** Refuses explicit tags (e.g. {@code !!python/object}); recipes are plain data. */
    private void checkTag(Node node, String path) {
        Tag tag = node.getTag();
        boolean plain = switch (node) {
            case ScalarNode ignored -> Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP).contains(tag);
            case SequenceNode ignored -> tag.equals(Tag.SEQ);
            case MappingNode ignored -> tag.equals(Tag.MAP);
            default -> false;
        };
        if (!plain) {
            throw error(node, "unsupported YAML tag " + tag + " in " + path, "recipes are plain YAML without tags");
        }
    }

    /** A short description of a node for "got ..." messages. */
    static String describe(Node node) {
        return switch (node) {
            case MappingNode ignored -> "a mapping";
            case SequenceNode ignored -> "a list";
            case ScalarNode s when s.getTag().equals(Tag.NULL) -> "nothing";
            case ScalarNode s when s.getTag().equals(Tag.STR) -> "text '" + abbreviate(s.getValue()) + "'";
            case ScalarNode s when s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT) -> "the number " + s.getValue();
            case ScalarNode s when s.getTag().equals(Tag.BOOL) -> "the boolean " + s.getValue();
            case ScalarNode s when s.getTag().equals(Tag.TIMESTAMP) -> "a date " + s.getValue();
            case ScalarNode s -> "'" + abbreviate(s.getValue()) + "'";
            default -> "an unsupported YAML value";
        };
    }

    private static String abbreviate(String s) {
        String one = s.replace('\n', ' ').replace('\r', ' ');
        return one.length() > 40 ? one.substring(0, 37) + "..." : one;
    }
}
