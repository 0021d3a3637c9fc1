package dev.mergelab.recipe;

import java.io.StringReader;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Turns recipe text into a SnakeYAML node graph with line marks, under limits suited to untrusted input.
 * Only {@code compose} is used: no Java objects are ever constructed from tags, and the node walk in
 * {@link YamlNodes} refuses any tag outside plain YAML scalars, lists and mappings.
 */
final class YamlLoader {
    /** Largest recipe accepted, in bytes and in code points. Real recipes are a few kilobytes. */
    static final int MAX_BYTES = 1 << 20;
    /** Deepest nesting a valid recipe needs is about 8; leave room but stop runaway input early. */
    static final int MAX_DEPTH = 32;
    /** Anchors are fine for sharing a parameter block; a billion-laughs expansion is not. */
    static final int MAX_ALIASES = 64;

    private YamlLoader() {}

    static Node compose(String text, String source) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_BYTES);
        options.setNestingDepthLimit(MAX_DEPTH);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setAllowRecursiveKeys(false);
        options.setAllowDuplicateKeys(false);
        options.setMergeOnCompose(false);
        options.setTagInspector(tag -> false);
        options.setProcessComments(false);
        Yaml yaml = new Yaml(options);
        Node root;
        try {
            root = yaml.compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            int line = mark == null ? 0 : mark.getLine() + 1;
            String problem = e.getProblem() != null ? e.getProblem() : firstLine(e.getMessage());
            if (problem.startsWith("Global tag is not allowed")) {
                // Our TagInspector refused a tag such as !!python/object before any value was built.
                throw RecipeErrors.at(source, line, "unsupported YAML tag" + problem.substring(problem.indexOf(':')),
                        "recipes are plain YAML without tags");
            }
            String context = e.getContext() == null ? "" : e.getContext() + ", ";
            throw RecipeErrors.at(source, line, "YAML syntax error: " + context + problem,
                    "check indentation, brackets, and that every key ends with ':'");
        } catch (YAMLException e) {
            // Limits (size, depth, aliases) and "expected a single document" land here.
            throw RecipeErrors.at(source, 0, "cannot read YAML: " + firstLine(e.getMessage()));
        } catch (IllegalArgumentException e) {
            // Found by fuzzing: a tag such as "!%8 " makes SnakeYAML's Tag constructor throw
            // IllegalArgumentException ("Tag must not contain leading or trailing spaces") instead of a YAMLException.
            throw RecipeErrors.at(source, 0, "cannot read YAML: " + firstLine(e.getMessage()), "recipes are plain YAML without tags");
        }
        if (root == null) {
            throw RecipeErrors.at(source, 1, "the recipe is empty",
                    "write at least merge_method and models: or slices:");
        }
        return root;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }
}
