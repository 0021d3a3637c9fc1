package dev.mergelab.tokenizer;

import java.util.Arrays;

/**
 * A stretch of (normalized) text on its way through the pipeline, with the offset in the original input of
 * the character each of its characters came from, or the ids it already stands for when it is an added token.
 * The offsets are kept only where a normalizer changed the text; otherwise character i came from
 * {@code base + i}.
 */
final class Piece {

    final String text;
    private final int[] orig;
    private final int base;
    /** Non-null when this piece is an added token (or tokens), which later stages leave alone. */
    final int[] ids;

    Piece(String text, int base) {
        this(text, null, base, null);
    }

    private Piece(String text, int[] orig, int base, int[] ids) {
        this.text = text;
        this.orig = orig;
        this.base = base;
        this.ids = ids;
    }

    static Piece token(String text, int origStart, int id) {
        return new Piece(text, null, origStart, new int[] {id});
    }

    boolean isToken() {
        return ids != null;
    }

    /** Offset in the original input of the character that produced character {@code i}. */
    int origAt(int i) {
        return orig == null ? base + i : orig[i];
    }

    /** Where this piece starts in the original input (the library's {@code offsets_original().0}). */
    int origStart() {
        return text.isEmpty() ? base : origAt(0);
    }

    Piece slice(int start, int end) {
        if (start == 0 && end == text.length()) {
            return this;
        }
        String sub = text.substring(start, end);
        if (orig == null) {
            return new Piece(sub, null, base + start, null);
        }
        return new Piece(sub, Arrays.copyOfRange(orig, start, end), sub.isEmpty() ? origAt(start) : 0, null);
    }

    /** The same characters' origins under a text of the same length (a one-to-one character map). */
    Piece withText(String sameLength) {
        return new Piece(sameLength, orig, base, null);
    }

    /** Builds a changed text, recording per appended character the original offset it came from. */
    static final class Builder {
        private final StringBuilder sb;
        private int[] orig;
        private final int emptyBase;

        Builder(Piece from) {
            sb = new StringBuilder(from.text.length() + 8);
            orig = new int[from.text.length() + 8];
            emptyBase = from.origStart();
        }

        void append(char c, int origin) {
            if (sb.length() == orig.length) {
                orig = Arrays.copyOf(orig, orig.length * 2 + 8);
            }
            orig[sb.length()] = origin;
            sb.append(c);
        }

        void appendCodePoint(int cp, int origin) {
            if (Character.isBmpCodePoint(cp)) {
                append((char) cp, origin);
            } else {
                append(Character.highSurrogate(cp), origin);
                append(Character.lowSurrogate(cp), origin);
            }
        }

        void append(CharSequence s, int origin) {
            for (int i = 0; i < s.length(); i++) {
                append(s.charAt(i), origin);
            }
        }

        Piece build() {
            int n = sb.length();
            return new Piece(sb.toString(), Arrays.copyOf(orig, n), n == 0 ? emptyBase : 0, null);
        }
    }
}
