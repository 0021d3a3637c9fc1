package dev.mergelab.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible map between bytes and printable characters: the printable Latin-1 bytes
 * ({@code !..~}, {@code ¡..¬}, {@code ®..ÿ}) stand for themselves, the other 68 bytes become U+0100 + n in
 * byte order.
 */
final class ByteLevelMap {

    static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character (all below U+0144); -1 where a character stands for no byte. */
    static final short[] CHAR_TO_BYTE = new short[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (0x100 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevelMap() {
    }

    /** The byte-level form of {@code p}: each UTF-8 byte of each character becomes one mapped character. */
    static Piece encode(Piece p) {
        String s = p.text;
        boolean ascii = true;
        for (int i = 0; i < s.length() && ascii; i++) {
            ascii = s.charAt(i) < 0x80;
        }
        if (ascii) {
            char[] out = new char[s.length()];
            boolean same = true;
            for (int i = 0; i < out.length; i++) {
                out[i] = BYTE_TO_CHAR[s.charAt(i)];
                same &= out[i] == s.charAt(i);
            }
            return same ? p : p.withText(new String(out));
        }
        Piece.Builder b = new Piece.Builder(p);
        byte[] buf = new byte[4];
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = utf8(cp, buf);
            int origin = p.origAt(i);
            for (int k = 0; k < n; k++) {
                b.append(BYTE_TO_CHAR[buf[k] & 0xFF], origin);
            }
            i += Character.charCount(cp);
        }
        return b.build();
    }

    /** Writes the UTF-8 form of {@code cp} (a lone surrogate as U+FFFD, as a Rust string holds) into buf. */
    static int utf8(int cp, byte[] buf) {
        if (cp < 0x80) {
            buf[0] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            buf[0] = (byte) (0xC0 | cp >> 6);
            buf[1] = (byte) (0x80 | cp & 0x3F);
            return 2;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        if (cp < 0x10000) {
            buf[0] = (byte) (0xE0 | cp >> 12);
            buf[1] = (byte) (0x80 | (cp >> 6) & 0x3F);
            buf[2] = (byte) (0x80 | cp & 0x3F);
            return 3;
        }
        buf[0] = (byte) (0xF0 | cp >> 18);
        buf[1] = (byte) (0x80 | (cp >> 12) & 0x3F);
        buf[2] = (byte) (0x80 | (cp >> 6) & 0x3F);
        buf[3] = (byte) (0x80 | cp & 0x3F);
        return 4;
    }

    /** Bytes of a token in byte-level form, or null when some character stands for no byte. */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) {
                return null;
            }
            out[i] = (byte) CHAR_TO_BYTE[c];
        }
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
