package dev.mergelab.method.kernel;

/**
 * Stable ascending ranks (0-based) of |x| along one lane, the "argsort of argsort" della needs: equal
 * magnitudes rank in index order. An LSD radix sort on the 31-bit magnitude keys, 8 bits per digit,
 * O(length) per lane; a digit that every key shares is skipped (rows of similar magnitudes often share
 * the top exponent bits). Reuses its buffers, so keep one per thread of work.
 */
public final class LaneRanks {

    private int[] keys = new int[0];
    private int[] keys2 = new int[0];
    private int[] idx = new int[0];
    private int[] idx2 = new int[0];
    private final int[] count = new int[256];

    /** {@code ranksOut[k]} = rank of element {@code x[off + k·stride]} among the lane's {@code len}. */
    public void ranks(float[] x, int off, int stride, int len, int[] ranksOut) {
        if (keys.length < len) {
            keys = new int[len];
            keys2 = new int[len];
            idx = new int[len];
            idx2 = new int[len];
        }
        int[] ka = keys;
        int[] kb = keys2;
        int[] ia = idx;
        int[] ib = idx2;
        for (int k = 0, j = off; k < len; k++, j += stride) {
            ka[k] = Float.floatToRawIntBits(x[j]) & 0x7FFFFFFF;
            ia[k] = k;
        }
        for (int shift = 0; shift < 32; shift += 8) {
            java.util.Arrays.fill(count, 0);
            for (int k = 0; k < len; k++) {
                count[(ka[k] >>> shift) & 0xFF]++;
            }
            if (len == 0 || count[(ka[0] >>> shift) & 0xFF] == len) {
                continue; // every key has this digit: the order stays as it is
            }
            int sum = 0;
            for (int d = 0; d < 256; d++) {
                int c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int k = 0; k < len; k++) {
                int key = ka[k];
                int at = count[(key >>> shift) & 0xFF]++;
                kb[at] = key;
                ib[at] = ia[k];
            }
            int[] t = ka;
            ka = kb;
            kb = t;
            t = ia;
            ia = ib;
            ib = t;
        }
        for (int r = 0; r < len; r++) {
            ranksOut[ia[r]] = r;
        }
    }
}
