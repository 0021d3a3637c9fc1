package dev.mergelab.tokenizer;

/**
 * UTF-8 decoding with Rust's {@code String::from_utf8_lossy} rule: every maximal ill-formed subpart becomes
 * one U+FFFD (Java's decoder does not promise the same count of replacement characters).
 */
final class Utf8 {

    private Utf8() {
    }

    static String decodeLossy(byte[] b, int len) {
        StringBuilder sb = new StringBuilder(len);
        int i = 0;
        while (i < len) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                sb.append('\uFFFD');
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                int bk = j < len ? b[j] & 0xFF : -1;
                int l = k == 0 ? lo : 0x80;
                int h = k == 0 ? hi : 0xBF;
                if (bk < l || bk > h) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (bk & 0x3F);
            }
            if (ok) {
                sb.appendCodePoint(cp);
                i = j;
            } else {
                sb.append('\uFFFD');
                i = j; // the maximal subpart ends before the byte that broke it
            }
        }
        return sb.toString();
    }

    /** True when the bytes are well-formed UTF-8. */
    static boolean isValid(byte[] b, int len) {
        String s = decodeLossy(b, len);
        // A replacement character in the input itself is fine; compare lengths of re-encoding instead.
        return s.indexOf('\uFFFD') < 0 || java.util.Arrays.equals(
                java.util.Arrays.copyOf(b, len), s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
