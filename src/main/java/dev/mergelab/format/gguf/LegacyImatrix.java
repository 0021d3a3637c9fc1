package dev.mergelab.format.gguf;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.Untrusted;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The legacy {@code .dat} importance matrix (common_imatrix_load_legacy, then quantize's division by ncall), read
 * from bytes that are checked before they are trusted: every length and count must fit in what is left of the file.
 * Names end at their first NUL byte and a repeated name replaces the earlier entry, as the C++ reader's strings and
 * map do; the optional trailer (chunk count, dataset name) is read the way std::istream reads it, partial count
 * included.
 */
final class LegacyImatrix {

    private static final String HINT = "pass a file written by llama-imatrix (GGUF, or its legacy .dat format)";

    private LegacyImatrix() {
    }

    static ImportanceMatrix parse(byte[] b, String where) {
        if (b.length < 4 || i32(b, 0) < 1) {
            throw MergeLabException.input(where + ": no data in the imatrix file (no GGUF magic, and no legacy entry count)", HINT);
        }
        int n = i32(b, 0);
        int[] pos = {4};
        // each entry takes at least 4 (name length) + 4 (ncall) + 4 (nval) + 4 (one value) bytes
        if (n > (b.length - 4) / 16) {
            throw MergeLabException.input(where + ": claims " + n + " imatrix entries, more than its " + b.length + " bytes can hold", HINT);
        }
        Map<String, float[]> weights = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String entry = where + ": imatrix entry " + (i + 1) + " of " + n;
            need(b, pos, 4, entry + ": truncated before its name length");
            int len = i32(b, pos[0] - 4);
            if (len < 0 || len > b.length - pos[0]) {
                throw MergeLabException.input(entry + ": name length " + len + " does not fit in the file", HINT);
            }
            String name = cString(b, pos[0], len);
            pos[0] += len;
            String named = where + ": imatrix entry '" + Untrusted.show(name) + "'";
            need(b, pos, 8, named + ": truncated before its call and value counts");
            int ncall = i32(b, pos[0] - 8);
            int nval = i32(b, pos[0] - 4);
            if (nval < 1 || nval > (b.length - pos[0]) / 4) {
                throw MergeLabException.input(named + ": " + nval + " values do not fit in the " + (b.length - pos[0])
                        + " bytes left", HINT);
            }
            float[] w = new float[nval];
            for (int j = 0; j < nval; j++) {
                float s = Float.intBitsToFloat(i32(b, pos[0] + 4 * j));
                w[j] = ncall > 0 ? s / (float) (long) ncall : s;
            }
            pos[0] += 4 * nval;
            weights.put(name, w);
        }
        int chunks = 0;
        List<String> datasets = new ArrayList<>();
        int left = b.length - pos[0];
        if (left > 0) {
            for (int k = 0; k < Math.min(4, left); k++) {
                chunks |= (b[pos[0] + k] & 0xFF) << (8 * k);
            }
            if (left >= 8) {
                int len = i32(b, pos[0] + 4);
                if (len > 0 && len <= left - 8) {
                    datasets.add(cString(b, pos[0] + 8, len));
                }
            }
        }
        return new ImportanceMatrix(weights, datasets, chunks, true);
    }

    /** Moves {@code pos} past {@code bytes} more bytes, or refuses the file with {@code message}. */
    private static void need(byte[] b, int[] pos, int bytes, String message) {
        if (b.length - pos[0] < bytes) {
            throw MergeLabException.input(message, HINT);
        }
        pos[0] += bytes;
    }

    /** {@code len} bytes as a C string: up to the first NUL. */
    private static String cString(byte[] b, int at, int len) {
        int end = at;
        while (end < at + len && b[end] != 0) {
            end++;
        }
        return new String(b, at, end - at, StandardCharsets.UTF_8);
    }

    private static int i32(byte[] b, int o) {
        return LegacyQuants.u32(b, o);
    }
}
