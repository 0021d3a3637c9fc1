package dev.mergelab.recipe;

import dev.mergelab.MergeLabException;

/** Builds the one-line user errors of this package: {@code recipe.yml:LINE: message}. */
final class RecipeErrors {
    private RecipeErrors() {}

    static MergeLabException at(String source, int line, String message, String hint) {
        String where = line > 0 ? source + ":" + line : source;
        return MergeLabException.input(where + ": " + message, hint);
    }

    static MergeLabException at(String source, int line, String message) {
        return at(source, line, message, null);
    }

    /** Appends " (did you mean 'x'?)" when a close candidate exists. */
    static String didYouMean(String given, Iterable<String> candidates) {
        return Suggest.closest(given, candidates).map(s -> " (did you mean '" + s + "'?)").orElse("");
    }
}
