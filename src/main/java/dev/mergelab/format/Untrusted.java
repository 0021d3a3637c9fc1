package dev.mergelab.format;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Helpers for handling text and files that come from an untrusted checkpoint. Tensor names, metadata keys
 * and paths end up in one-line error messages, so anything that could break the line or fool a terminal
 * (control characters, line separators, bidi overrides, lone surrogates) is escaped and long text clipped.
 */
public final class Untrusted {

    private Untrusted() {
    }

    /** Untrusted text (a tensor name, a key) for an error message: escaped and clipped to 120 code points. */
    public static String show(String s) {
        return escape(s, 120);
    }

    /** A path for an error message: escaped but never clipped, so the user can find the file. */
    public static String path(Path p) {
        return pathText(p.toString());
    }

    static String pathText(String p) {
        return escape(p, Integer.MAX_VALUE);
    }

    /** First line of an exception message (library messages can be multi-line), escaped and clipped. */
    public static String firstLine(String s) {
        if (s == null) {
            return "parse error";
        }
        int nl = s.indexOf('\n');
        return escape(nl < 0 ? s : s.substring(0, nl), 160);
    }

    private static String escape(String s, int maxCodePoints) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 256));
        int shown = 0;
        for (int i = 0; i < s.length(); ) {
            if (shown == maxCodePoints) {
                return sb.append("...").toString();
            }
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            shown++;
            int type = Character.getType(cp);
            // CONTROL covers \n, \r, NUL, C1; FORMAT covers bidi overrides; SURROGATE here means a lone half.
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.append(Character.toChars(cp));
            }
        }
        return sb.toString();
    }

    /** True if {@code s} holds a surrogate half that is not part of a valid pair (not encodable as UTF-8). */
    static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Index of the first byte of {@code b} that is not well-formed UTF-8 as RFC 3629 defines it (no overlong
     * forms, no encoded surrogates, nothing above U+10FFFF), or -1 if all of it is. Jackson's own decoder is
     * lenient about overlongs ({@code C0 80} decodes to NUL) and 4-byte forms above U+10FFFF, which would let a
     * header smuggle names that differ from what the reference implementation sees.
     */
    static int invalidUtf8At(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int len;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
            } else if (c == 0xE0) {
                len = 3;
                lo = 0xA0; // below is overlong
            } else if (c == 0xED) {
                len = 3;
                hi = 0x9F; // above is a UTF-16 surrogate
            } else if (c >= 0xE1 && c <= 0xEF) {
                len = 3;
            } else if (c == 0xF0) {
                len = 4;
                lo = 0x90; // below is overlong
            } else if (c >= 0xF1 && c <= 0xF3) {
                len = 4;
            } else if (c == 0xF4) {
                len = 4;
                hi = 0x8F; // above is beyond U+10FFFF
            } else {
                return i; // continuation byte without lead, C0/C1 overlong leads, F5..FF
            }
            if (len > n - i) {
                return i;
            }
            int c1 = b[i + 1] & 0xFF;
            if (c1 < lo || c1 > hi) {
                return i;
            }
            for (int k = 2; k < len; k++) {
                int ck = b[i + k] & 0xFF;
                if (ck < 0x80 || ck > 0xBF) {
                    return i;
                }
            }
            i += len;
        }
        return -1;
    }

    /**
     * Refuses anything but an existing regular file (after following links, as the Hugging Face cache uses
     * them). Without this a FIFO planted in a model folder makes {@code FileChannel.open} block forever, and a
     * directory or device gives confusing low-level errors.
     */
    public static BasicFileAttributes regularFile(Path file, String where, String hint) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw MergeLabException.input(where + ": no such file", "check the path");
        } catch (IOException e) {
            throw MergeLabException.input(where + ": cannot read: " + firstLine(e.getMessage()), "check the file's permissions");
        }
        if (!a.isRegularFile()) {
            String kind = a.isDirectory() ? "a directory" : "not a regular file (device, pipe or socket)";
            throw MergeLabException.input(where + ": is " + kind, hint);
        }
        return a;
    }
}
