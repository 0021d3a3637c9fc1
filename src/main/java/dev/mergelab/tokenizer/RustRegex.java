package dev.mergelab.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles a tokenizer.json regex (written for Oniguruma, which the Rust library uses for Split and Replace
 * patterns) to a Java pattern that matches the same strings. The differences that matter, measured against the
 * library: Oniguruma's {@code \s}, {@code \w}, {@code \d} are Unicode classes (Java's are ASCII), and its
 * {@code \w} is Alphabetic|Mark|Nd|Pc plus the Latin-1 numbers ²³¹¼½¾ ('½' is a word character, '①' and
 * U+200D are not);
 * {@code \h} is a hex digit there; {@code ^}/{@code $} are line anchors there; case-insensitive groups
 * fold Unicode case. The library's built-in Whitespace pre-tokenizer uses Rust's regex crate instead, whose
 * {@code \w} is Alphabetic|Mark|Nd|Pc|Join_Control (the other way round for those characters):
 * {@link #REGEX_CRATE_WORD}.
 */
final class RustRegex {

    static final String SPACE = "\\p{IsWhite_Space}";
    static final String NOT_SPACE = "\\P{IsWhite_Space}";
    /** Oniguruma's word class as measured: Alphabetic, marks, Nd, Pc, and Latin-1's ²³¹¼½¾ (not other No). */
    static final String ONIG_WORD = "\\p{IsAlphabetic}\\p{M}\\p{Nd}\\p{Pc}\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be";
    static final String REGEX_CRATE_WORD = "\\p{IsAlphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{IsJoin_Control}";
    static final String DIGIT = "\\p{Nd}";
    static final String HEX = "0-9a-fA-F";

    private RustRegex() {
    }

    /** Compiles an Oniguruma-syntax regex; throws PatternSyntaxException. */
    static Pattern compile(String onigRegex) {
        return Pattern.compile(translate(onigRegex, ONIG_WORD), Pattern.MULTILINE | Pattern.UNIX_LINES | Pattern.UNICODE_CASE);
    }

    static Pattern compile(JsonField field) {
        String source = field.string();
        try {
            return compile(source);
        } catch (PatternSyntaxException e) {
            String d = e.getDescription();
            throw field.error("is not a regular expression this reader understands: "
                    + Text.quoted(d == null ? "syntax error" : d) + " near index " + e.getIndex());
        } catch (StackOverflowError e) {
            throw field.error("is a regular expression nested too deeply");
        }
    }

    /** Rewrites the class escapes whose meaning differs; everything else is copied. */
    static String translate(String re, String word) {
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
                    case 'w' -> sb.append(in ? word : "[" + word + "]");
                    case 'W' -> sb.append("[^" + word + "]");
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
