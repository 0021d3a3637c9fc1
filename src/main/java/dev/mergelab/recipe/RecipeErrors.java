package dev.mergelab.recipe;

import dev.mergelab.MergeLabException;

/** Builds the one-line user errors of this package: {@code recipe.yml:LINE: message}. */
final class RecipeErrors {
    private RecipeErrors() {}

    static MergeLabException at(String source, int line, String message, String hint) {
        String where = line > 0 ? source + ":" + line : source;
        return MergeLabException.input(printable(where + ": " + message), hint == null ? null : printable(hint));
    }

    /**
     * Escapes characters that would break the one-line message or fool a terminal. Found by fuzzing: SnakeYAML
     * quotes the offending character raw ("but found \n(10)"), and keys and values from the recipe are
     * quoted as written, so a message could span lines or carry bidi overrides.
     */
    static String printable(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int type = Character.getType(c);
            boolean bad = type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR
                    || (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1)))
                            && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1))));
            if (bad && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (bad) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    static MergeLabException at(String source, int line, String message) {
        return at(source, line, message, null);
    }

    /** Appends " (did you mean 'x'?)" when a close candidate exists. */
    static String didYouMean(String given, Iterable<String> candidates) {
        return Suggest.closest(given, candidates).map(s -> " (did you mean '" + s + "'?)").orElse("");
    }
}
