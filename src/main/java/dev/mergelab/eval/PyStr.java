package dev.mergelab.eval;

/**
 * The few Python {@code str} operations lm-eval's conventions rest on, with Python's meaning of whitespace
 * ({@code str.isspace}: Unicode White_Space plus the separators U+001C..U+001F), which differs from Java's
 * {@link Character#isWhitespace} (no U+00A0, U+2007, U+202F, U+0085) and {@link String#strip}.
 */
public final class PyStr {

    private PyStr() {
    }

    /** {@code ch.isspace()} for one code point. */
    public static boolean isSpace(int c) {
        return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    /** {@code s.rstrip()}. */
    public static String rstrip(String s) {
        int end = s.length();
        while (end > 0) {
            int c = s.codePointBefore(end);
            if (!isSpace(c)) {
                break;
            }
            end -= Character.charCount(c);
        }
        return s.substring(0, end);
    }

    /** {@code s.lstrip()}. */
    public static String lstrip(String s) {
        int start = 0;
        while (start < s.length()) {
            int c = s.codePointAt(start);
            if (!isSpace(c)) {
                break;
            }
            start += Character.charCount(c);
        }
        return s.substring(start);
    }

    /** {@code s.strip()}. */
    public static String strip(String s) {
        return lstrip(rstrip(s));
    }

    /** {@code len(s)}: code points, not UTF-16 units (acc_norm divides by it). */
    public static int len(String s) {
        return s.codePointCount(0, s.length());
    }

    /** {@code s.isdigit()} for the ASCII and Unicode decimal digits a rendered template can hold. */
    public static boolean isDigit(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
    }

    /** {@code len(re.split(r"\s+", s))}: lm-eval's word count (api/task.py count_words, wikitext process_results). */
    public static int wordCount(String s) {
        // re.split keeps empty strings at both ends, so every whitespace run splits, leading or trailing
        int count = 1;
        int i = 0;
        while (i < s.length()) {
            int c = s.codePointAt(i);
            if (isReSpace(c)) {
                count++;
                while (i < s.length() && isReSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
            } else {
                i += Character.charCount(c);
            }
        }
        return count;
    }

    /** Python's {@code re} {@code \s} on str patterns: {@code str.isspace()}. */
    private static boolean isReSpace(int c) {
        return isSpace(c);
    }

    /** {@code len(s.encode("utf-8"))}. */
    public static int utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
