package dev.mergelab.method.kernel;

/**
 * della's keep decision along one lane: element k is kept when its draw m_k (53 random bits) is below
 * {@code thresholds[r_k]}, r_k its stable ascending magnitude rank in the lane. The thresholds are
 * monotone in the rank, so most elements are decided without their exact rank:
 * <ol>
 *   <li>one counting pass buckets the keys by their top {@link #topBits} varying bits; an element of
 *       bucket b ranks somewhere in [start_b, start_b + count_b) (buckets order like the keys);</li>
 *   <li>if m_k is below the thresholds at both ends of that range it is kept, if at or above both it is
 *       dropped; with thresholds spanning density ± ε only draws in a narrow band, in buckets holding
 *       more than one element, are left undecided (about 2ε·Σ count_b²/C per lane);</li>
 *   <li>each undecided element gets its exact rank by counting the lane's smaller keys (and equal keys
 *       before it), a loop the JIT vectorises; if more than {@link #MAX_SCANS} are undecided (a lane
 *       whose keys crowd into few buckets) the whole lane is ranked by {@link LaneRanks} instead.</li>
 * </ol>
 * The result is exactly {@code m_k < thresholds[r_k]} for every element, only cheaper than ranking all
 * of them. Reuses its buffers, so keep one per thread of work.
 */
final class RankedKeep {

    /** Undecided elements resolved by scanning; above this the lane is fully ranked (≈ one radix sort). */
    static final int MAX_SCANS = 64;

    private final long[] thresholds;
    private final LaneRanks lanes = new LaneRanks();
    private int[] keys = new int[0];
    private int[] starts = new int[0];
    private int[] open = new int[0];          // elements whose draw falls inside the thresholds' range
    private int[] undecided = new int[MAX_SCANS + 1];
    private int[] ranks = new int[0];

    /** {@code thresholds[r]} for every rank r of the lane (its length is the lane length), monotone in r. */
    RankedKeep(long[] thresholds) {
        this.thresholds = thresholds;
    }

    /**
     * For the lane {@code x[off + k·stride]}, k &lt; len ({@code len = thresholds.length}):
     * {@code keep[off + k·stride]} = −1 when {@code (draws[off + k·stride] >>> 11) < thresholds[r_k]},
     * else 0.
     */
    void keep(float[] x, int off, int stride, long[] draws, int[] keep) {
        int len = thresholds.length;
        if (keys.length < len) {
            keys = new int[len];
            open = new int[len];
        }
        long[] t = thresholds;
        long low = Math.min(t[0], t[len - 1]);    // the thresholds of every rank lie in [low, high]
        long high = Math.max(t[0], t[len - 1]);
        int[] ks = keys;
        int[] todo = open;
        int pending = 0;
        int all = 0x7FFFFFFF;
        int any = 0;
        for (int k = 0, j = off; k < len; k++, j += stride) {
            int key = Float.floatToRawIntBits(x[j]) & 0x7FFFFFFF;
            ks[k] = key;
            all &= key;
            any |= key;
            long m = draws[j] >>> 11;
            long below = (m - low) >> 63;                    // −1: kept whatever the rank
            keep[j] = (int) below;
            todo[pending] = k;                               // appended only when m is in [low, high)
            pending += (int) (~below & ((m - high) >> 63) & 1);
        }
        if (pending == 0) {
            return;
        }
        int varying = all ^ any;   // bits that differ between keys; 0 when all are equal
        int top = 32 - Integer.numberOfLeadingZeros(varying);   // just above the highest varying bit
        int span = varying == 0 ? 0 : top - Integer.numberOfTrailingZeros(varying);
        int bits = Math.min(span, topBits(len));
        int shift = top - bits;
        int[] start = bucketStarts(len, shift, bits);

        // Narrow each pending element to its bucket's rank range; keep the still undecided ones.
        int[] scan = undecided;
        int unsure = 0;
        int mask = (1 << bits) - 1;
        for (int u = 0; u < pending; u++) {
            int k = todo[u];
            int j = off + k * stride;
            int b = (ks[k] >>> shift) & mask;
            long lo = t[start[b]];
            long hi = t[start[b + 1] - 1];
            long m = draws[j] >>> 11;
            long sure = (m - Math.min(lo, hi)) >> 63;         // −1: below every threshold of the range
            keep[j] = (int) sure;
            scan[unsure] = k;                                  // appended only when between them
            unsure = Math.min(unsure + (int) (~sure & ((m - Math.max(lo, hi)) >> 63) & 1), MAX_SCANS);
        }
        if (unsure < MAX_SCANS) {
            for (int u = 0; u < unsure; u++) {
                int k = scan[u];
                int j = off + k * stride;
                keep[j] = (int) (((draws[j] >>> 11) - t[rank(k, len)]) >> 63);
            }
            return;
        }
        // Too many to scan: rank the whole lane.
        if (ranks.length < len) {
            ranks = new int[len];
        }
        lanes.ranks(x, off, stride, len, ranks);
        for (int u = 0; u < pending; u++) {
            int k = todo[u];
            int j = off + k * stride;
            keep[j] = (int) (((draws[j] >>> 11) - t[ranks[k]]) >> 63);
        }
    }

    /**
     * Bucket index width: one to two buckets per element of the lane (from 16 up to 2^13 buckets), so
     * the counting pass and its prefix sums stay a few operations per element.
     */
    static int topBits(int len) {
        return Math.clamp(32 - Integer.numberOfLeadingZeros(len), 4, 13);
    }

    /** {@code starts[b]}: how many keys fall in buckets below b, for b ≤ 2^bits. */
    private int[] bucketStarts(int len, int shift, int bits) {
        int buckets = 1 << bits;
        if (starts.length < buckets + 1) {
            starts = new int[buckets + 1];
        } else {
            java.util.Arrays.fill(starts, 0, buckets + 1, 0);
        }
        int[] c = starts;
        int mask = buckets - 1;
        int[] ks = keys;
        for (int k = 0; k < len; k++) {
            c[((ks[k] >>> shift) & mask) + 1]++;
        }
        for (int b = 1; b <= buckets; b++) {
            c[b] += c[b - 1];
        }
        return c;
    }

    /** The stable rank of element k: keys below its key, plus equal keys before it. */
    private int rank(int k, int len) {
        int[] ks = keys;
        int key = ks[k];
        int r = 0;
        for (int j = 0; j < k; j++) {
            r += (ks[j] - key - 1) >>> 31;   // ks[j] ≤ key (keys are below 2^31: no overflow)
        }
        for (int j = k + 1; j < len; j++) {
            r += (ks[j] - key) >>> 31;       // ks[j] < key
        }
        return r;
    }
}
