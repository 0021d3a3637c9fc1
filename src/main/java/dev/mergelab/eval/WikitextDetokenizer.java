package dev.mergelab.eval;

import java.util.regex.Pattern;

/**
 * lm_eval/tasks/wikitext/preprocess_wikitext.py wikitext_detokenizer, step for step (the same replacements in
 * the same order; Python's {@code \s} is Unicode-aware, hence the (?U) flag).
 */
final class WikitextDetokenizer {

    private static final Pattern PARENS = Pattern.compile("(?U)\\(\\s*([^\\)]*?)\\s*\\)");
    private static final Pattern BRACKETS = Pattern.compile("(?U)\\[\\s*([^\\]]*?)\\s*\\]");
    private static final Pattern BRACES = Pattern.compile("(?U)\\{\\s*([^}]*?)\\s*\\}");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("(?U)\"\\s*([^\"]*?)\\s*\"");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("(?U)'\\s*([^']*?)\\s*'");
    private static final Pattern ODD_SLASH = Pattern.compile("/' [0-9]/");

    private WikitextDetokenizer() {
    }

    static String detokenize(String s) {
        s = s.replace("s '", "s'");
        s = ODD_SLASH.matcher(s).replaceAll("/'[0-9]/");
        s = s.replace(" @-@ ", "-");
        s = s.replace(" @,@ ", ",");
        s = s.replace(" @.@ ", ".");
        s = s.replace(" : ", ": ");
        s = s.replace(" ; ", "; ");
        s = s.replace(" . ", ". ");
        s = s.replace(" ! ", "! ");
        s = s.replace(" ? ", "? ");
        s = s.replace(" , ", ", ");
        s = PARENS.matcher(s).replaceAll("($1)");
        s = BRACKETS.matcher(s).replaceAll("[$1]");
        s = BRACES.matcher(s).replaceAll("{$1}");
        s = DOUBLE_QUOTES.matcher(s).replaceAll("\"$1\"");
        s = SINGLE_QUOTES.matcher(s).replaceAll("'$1'");
        s = s.replace("= = = =", "====");
        s = s.replace("= = =", "===");
        s = s.replace("= =", "==");
        s = s.replace(" \u00b0 ", "\u00b0");
        s = s.replace(" \n", "\n");
        s = s.replace("\n ", "\n");
        s = s.replace(" N ", " 1 ");
        return s.replace(" 's", "'s");
    }
}
