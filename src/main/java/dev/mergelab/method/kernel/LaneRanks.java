package dev.mergelab.method.kernel;

import java.util.Arrays;

/**
 * Stable ascending ranks (0-based) of |x| along one lane, the "argsort of argsort" della needs: equal
 * magnitudes rank in index order. An LSD radix sort of the 31-bit magnitude keys, O(length) per lane.
 *
 * <p>Only the bits that differ between the lane's keys are sorted on: bf16 task vectors have zero low
 * mantissa bits and every key shares the top exponent bits, so a lane of 2048 typically varies in
 * about 23 bits, which is 2 digits of at most {@value #MAX_DIGIT_BITS} bits instead of 4 bytes. All
 * digit histograms come from one counting pass, and a digit every key shares is skipped. The last
 * digit's pass writes each element's rank straight to its index, so a single digit is a counting sort
 * in index order with no permutation at all. Reuses its buffers, so keep one per thread of work.
 */
public final class LaneRanks {

    /** Widest digit: 4096 int counts (16 KiB) stay in L1 beside a lane's keys. */
    static final int MAX_DIGIT_BITS = 12;

    private int[] keys = new int[0];
    private long[] order = new long[0];     // (key << 32 | index), sorted by the digits done so far
    private long[] order2 = new long[0];
    private int[] counts = new int[0];      // per digit: its histogram, then its buckets' next positions
    private final boolean[] moves = new boolean[(31 + MAX_DIGIT_BITS - 1) / MAX_DIGIT_BITS];

    /** {@code ranksOut[k]} = rank of element {@code x[off + k·stride]} among the lane's {@code len}. */
    public void ranks(float[] x, int off, int stride, int len, int[] ranksOut) {
        if (keys.length < len) {
            keys = new int[len];
            order = new long[len];
            order2 = new long[len];
        }
        int all = 0x7FFFFFFF;   // AND of the keys: bits every key has
        int any = 0;            // OR of the keys: bits some key has
        for (int k = 0, j = off; k < len; k++, j += stride) {
            int key = Float.floatToRawIntBits(x[j]) & 0x7FFFFFFF;
            keys[k] = key;
            all &= key;
            any |= key;
        }
        int varying = all ^ any;
        if (varying == 0 || len < 2) {
            for (int k = 0; k < len; k++) {
                ranksOut[k] = k;   // all keys equal: index order
            }
            return;
        }
        int low = Integer.numberOfTrailingZeros(varying);
        int span = 32 - Integer.numberOfLeadingZeros(varying) - low;
        int digits = (span + MAX_DIGIT_BITS - 1) / MAX_DIGIT_BITS;
        int width = (span + digits - 1) / digits;
        int[] starts = bucketStarts(len, low, width, digits);
        sortAndRank(len, low, width, digits, starts, ranksOut);
    }

    /**
     * One counting pass for every digit's histogram, then exclusive prefix sums: {@code counts[d << width
     * | v]} becomes the first sorted position of digit value v in digit d's pass. Marks in {@link #moves}
     * the digits whose pass changes the order (no single bucket holds every key).
     */
    private int[] bucketStarts(int len, int low, int width, int digits) {
        int buckets = 1 << width;
        int size = digits << width;
        if (counts.length < size) {
            counts = new int[size];
        } else {
            Arrays.fill(counts, 0, size, 0);
        }
        int[] c = counts;
        int mask = buckets - 1;
        int[] ks = keys;
        if (digits == 2) {   // the bf16 case: both histograms in one sweep
            for (int k = 0; k < len; k++) {
                int key = ks[k] >>> low;
                c[key & mask]++;
                c[buckets + ((key >>> width) & mask)]++;
            }
        } else {
            for (int d = 0; d < digits; d++) {
                int base = d << width;
                int shift = low + d * width;
                for (int k = 0; k < len; k++) {
                    c[base + ((ks[k] >>> shift) & mask)]++;
                }
            }
        }
        for (int d = 0; d < digits; d++) {
            int sum = 0;
            boolean shared = false;
            for (int v = d << width, end = v + buckets; v < end; v++) {
                int n = c[v];
                shared |= n == len;
                c[v] = sum;
                sum += n;
            }
            moves[d] = !shared;
        }
        return c;
    }

    /**
     * LSD passes, least significant digit first; each is a stable scatter, so equal keys keep index order.
     * A digit that all keys share leaves the order as it is and is skipped; the last pass that moves
     * anything writes ranks instead of a permutation.
     */
    private void sortAndRank(int len, int low, int width, int digits, int[] c, int[] ranksOut) {
        int mask = (1 << width) - 1;
        int last = digits - 1;
        while (!moves[last]) {
            last--;   // stops: the top digit holds the highest varying bit
        }
        long[] from = null;   // null: still index order, read the keys
        long[] to = order;
        for (int d = 0; d <= last; d++) {
            if (!moves[d]) {
                continue;
            }
            int base = d << width;
            int shift = low + d * width;
            if (d == last) {
                if (from == null) {
                    for (int k = 0; k < len; k++) {
                        ranksOut[k] = c[base + ((keys[k] >>> shift) & mask)]++;
                    }
                } else {
                    for (int r = 0; r < len; r++) {
                        long e = from[r];
                        ranksOut[(int) e] = c[base + ((int) (e >>> (32 + shift)) & mask)]++;
                    }
                }
                return;
            }
            if (from == null) {
                for (int k = 0; k < len; k++) {
                    int key = keys[k];
                    to[c[base + ((key >>> shift) & mask)]++] = (long) key << 32 | k;
                }
            } else {
                for (int r = 0; r < len; r++) {
                    long e = from[r];
                    to[c[base + ((int) (e >>> (32 + shift)) & mask)]++] = e;
                }
            }
            from = to;
            to = to == order ? order2 : order;
        }
    }
}
