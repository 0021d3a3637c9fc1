package dev.mergelab.lab.soup;

import dev.mergelab.recipe.Recipe;
import java.util.List;

/**
 * A soup as a merge recipe: mergekit's {@code linear} with weight 1.0 for every ingredient (normalised, so the plain
 * average; one ingredient alone is that model, bit for bit), the ingredients in the order the user gave them whatever
 * order a greedy soup added them in, so a set of ingredients is always one recipe.
 */
public final class SoupRecipe {

    private SoupRecipe() {
    }

    /** The recipe averaging {@code refs}, preceded by {@code comment} lines (each written as {@code # line}); source name {@code source}. */
    public static Recipe of(List<String> refs, List<String> comment, String source) {
        if (refs.isEmpty()) {
            throw new IllegalArgumentException("a soup needs an ingredient");
        }
        StringBuilder sb = new StringBuilder();
        for (String line : comment) {
            sb.append(line.isEmpty() ? "#" : "# " + line).append('\n');
        }
        sb.append("merge_method: linear\nmodels:\n");
        for (String ref : refs) {
            sb.append("  - model: ").append(quoted(ref)).append("\n    parameters:\n      weight: 1.0\n");
        }
        return Recipe.parse(sb.toString(), source);
    }

    /** A reference as a YAML double-quoted scalar, so any path reads back as written. */
    static String quoted(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
