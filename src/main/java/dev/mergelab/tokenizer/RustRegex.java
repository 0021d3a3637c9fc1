package dev.mergelab.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles a tokenizer.json regex (written for Oniguruma, which the Rust library uses) to a Java pattern
 * that matches the same strings. The differences that matter: Oniguruma's {@code \s}, {@code \w},
 * {@code \d} are Unicode classes (Java's are ASCII, and even with UNICODE_CHARACTER_CLASS Java's {@code \w}
 * leaves out No numbers such as '²' that Oniguruma's Letter|Mark|Number|Connector_Punctuation includes);
 * {@code \h} is a hex digit there; {@code ^}/{@code $} are line anchors there; case-insensitive groups fold
 * Unicode case.
 */
final class RustRegex {

    static final String SPACE = "\\p{IsWhite_Space}";
    static final String NOT_SPACE = "\\P{IsWhite_Space}";
    static final String WORD = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
    static final String DIGIT = "\\p{Nd}";
    static final String HEX = "0-9a-fA-F";

    private RustRegex() {
    }

    static Pattern compile(JsonField field) {
        String source = field.string();
        try {
            return Pattern.compile(translate(source), Pattern.MULTILINE | Pattern.UNIX_LINES | Pattern.UNICODE_CASE);
        } catch (PatternSyntaxException e) {
            String d = e.getDescription();
            throw field.error("is not a regular expression this reader understands: "
                    + Text.quoted(d == null ? "syntax error" : d) + " near index " + e.getIndex());
        } catch (StackOverflowError e) {
            throw field.error("is a regular expression nested too deeply");
        }
    }

    /** Rewrites the class escapes whose meaning differs; everything else is copied. */
    static String translate(String re) {
        StringBuilder sb = new StringBuilder(re.length() + 32);
        int classDepth = 0;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                char e = re.charAt(++i);
                boolean in = classDepth > 0;
                switch (e) {
                    case 's' -> sb.append(SPACE);
                    case 'S' -> sb.append(NOT_SPACE);
                    case 'w' -> sb.append(in ? WORD : "[" + WORD + "]");
                    case 'W' -> sb.append("[^" + WORD + "]");
                    case 'd' -> sb.append(DIGIT);
                    case 'D' -> sb.append("\\P{Nd}");
                    case 'h' -> sb.append(in ? HEX : "[" + HEX + "]");
                    case 'H' -> sb.append("[^" + HEX + "]");
                    case 'v' -> sb.append("\\x0B");
                    default -> sb.append(c).append(e);
                }
                continue;
            }
            if (c == '[') {
                classDepth++;
                sb.append(c);
                // A ']' (or '^]') right after an opening bracket is a literal in Oniguruma.
                if (i + 1 < re.length() && re.charAt(i + 1) == '^') {
                    sb.append('^');
                    i++;
                }
                if (i + 1 < re.length() && re.charAt(i + 1) == ']') {
                    sb.append("\\]");
                    i++;
                }
                continue;
            }
            if (c == ']' && classDepth > 0) {
                classDepth--;
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
