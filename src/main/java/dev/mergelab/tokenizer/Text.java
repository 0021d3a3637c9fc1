package dev.mergelab.tokenizer;

/**
 * Character classes as the Rust library sees them (Rust's {@code char} predicates and the
 * {@code unicode_categories} crate), written against Java's Unicode tables, plus safe quoting of untrusted
 * text in messages.
 */
final class Text {

    private Text() {
    }

    /** Rust {@code char::is_whitespace}: the Unicode White_Space property (Java's isWhitespace differs). */
    static boolean isWhiteSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** Rust {@code char::is_numeric}: general categories Nd, Nl, No. */
    static boolean isNumeric(int c) {
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Rust {@code char::is_alphanumeric}: Alphabetic or numeric. */
    static boolean isAlphanumeric(int c) {
        return Character.isAlphabetic(c) || isNumeric(c);
    }

    /** Any punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po). */
    static boolean isUnicodePunctuation(int c) {
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** ASCII punctuation or Unicode punctuation: the Punctuation and Bert pre-tokenizers' test. */
    static boolean isPunctuation(int c) {
        return isAsciiPunctuation(c) || isUnicodePunctuation(c);
    }

    static boolean isAsciiPunctuation(int c) {
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60)
                || (c >= 0x7B && c <= 0x7E);
    }

    /** Any mark category (Mn, Mc, Me): what StripAccents removes. */
    static boolean isMark(int c) {
        int t = Character.getType(c);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK
                || t == Character.ENCLOSING_MARK;
    }

    static boolean isNonSpacingMark(int c) {
        return Character.getType(c) == Character.NON_SPACING_MARK;
    }

    /**
     * Categories Cc, Cf, Co, Cs: the "other" characters BertNormalizer's clean_text drops. Unassigned (Cn)
     * characters such as U+0378 and U+FDD0 are kept by the library, so they are not in this set.
     */
    static boolean isOther(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE -> true;
            default -> false;
        };
    }

    /** The CJK ideograph blocks BertNormalizer surrounds with spaces. */
    static boolean isChineseChar(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F)
                || (c >= 0x2B920 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF)
                || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    /**
     * Untrusted text for a one-line message: quoted, control, format, separator and surrogate characters as
     * {@code \\uXXXX}, clipped to 120 code points.
     */
    static String quoted(String s) {
        StringBuilder sb = new StringBuilder("'");
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (n++ == 120) {
                sb.append("...");
                break;
            }
            int t = Character.getType(c);
            if (t == Character.CONTROL || t == Character.FORMAT || t == Character.LINE_SEPARATOR
                    || t == Character.PARAGRAPH_SEPARATOR || t == Character.SURROGATE
                    || t == Character.UNASSIGNED || t == Character.PRIVATE_USE) {
                sb.append(String.format("\\u%04x", (int) s.charAt(i)));
                i++;
                continue;
            }
            sb.appendCodePoint(c);
            i += Character.charCount(c);
        }
        return sb.append('\'').toString();
    }
}
