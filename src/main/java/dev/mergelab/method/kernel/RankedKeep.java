package dev.mergelab.method.kernel;

/**
 * della's keep decision along one lane: element k is kept when its 32-bit draw w_k (unsigned) is below
 * {@code thresholds[r_k]}, r_k its stable ascending magnitude rank in the lane. The thresholds are
 * monotone in the rank, so most elements are decided without their exact rank:
 * <ol>
 *   <li>a vector pass takes every element's magnitude key and decides it if its draw is below every
 *       threshold (kept) or at or above every one (dropped); with thresholds spanning density ± ε only
 *       a fraction 2ε of the lane is left in the band between;</li>
 *   <li>one counting pass buckets the keys by their top varying bits (about one bucket per element),
 *       listing the band's elements on the way; an element of bucket b ranks somewhere in
 *       [start_b, start_b + count_b) (buckets order like the keys), and if its draw is below the
 *       thresholds at both ends of that range it is kept, if at or above both it is dropped;</li>
 *   <li>what is still undecided (draws inside a crowded bucket's range: about 2ε·Σ count_b²/C per lane,
 *       mostly equal magnitudes, which half-precision task vectors are full of) gets its exact rank
 *       from a vector count over the lane; if more than {@link #MAX_SCANS} are undecided the whole lane
 *       is ranked by {@link LaneRanks} instead.</li>
 * </ol>
 * The result is exactly {@code w_k < thresholds[r_k]} for every element, only cheaper than ranking all
 * of them. Lanes with a stride are gathered first. Reuses its buffers, so keep one per thread of work.
 */
final class RankedKeep {

    /** Undecided elements resolved by counting; above this the lane is fully ranked (≈ one radix sort). */
    static final int MAX_SCANS = 64;

    /**
     * By rank, the thresholds with the sign bit flipped, so signed comparisons order them as unsigned
     * ones; ints, not longs, to keep a long lane's tables in L1.
     */
    private final int[] flipped;
    private final int low;             // unsigned minimum and maximum of the thresholds
    private final int high;
    private final LaneRanks lanes = new LaneRanks();
    private int[] keys = new int[0];
    private int[] open = new int[0];   // elements in the band, by index
    private int[] starts = new int[0];
    private final int[] undecided = new int[MAX_SCANS + 1];
    private int[] ranks = new int[0];
    private float[] laneValues = new float[0];   // a strided lane, gathered
    private int[] laneDraws = new int[0];
    private int[] laneKeep = new int[0];

    /**
     * {@code thresholds[r]} (unsigned 32-bit) for every rank r of the lane (its length is the lane
     * length), monotone in r.
     */
    RankedKeep(int[] thresholds) {
        int len = thresholds.length;
        this.flipped = new int[len];
        for (int r = 0; r < len; r++) {
            this.flipped[r] = thresholds[r] ^ Integer.MIN_VALUE;
        }
        boolean rising = len == 0 || flipped[0] <= flipped[len - 1];
        this.low = len == 0 ? 0 : thresholds[rising ? 0 : len - 1];
        this.high = len == 0 ? 0 : thresholds[rising ? len - 1 : 0];
    }

    /**
     * For the lane {@code x[off + k·stride]}, k &lt; len ({@code len = thresholds.length}):
     * {@code keep[off + k·stride]} = −1 when {@code draws[off + k·stride] < thresholds[r_k]} (unsigned),
     * else 0.
     */
    void keep(float[] x, int off, int stride, int[] draws, int[] keep) {
        int len = flipped.length;
        if (stride == 1) {
            keepContiguous(x, draws, off, keep);
            return;
        }
        if (laneValues.length < len) {
            laneValues = new float[len];
            laneDraws = new int[len];
            laneKeep = new int[len];
        }
        for (int k = 0, j = off; k < len; k++, j += stride) {
            laneValues[k] = x[j];
            laneDraws[k] = draws[j];
        }
        keepContiguous(laneValues, laneDraws, 0, laneKeep);
        for (int k = 0, j = off; k < len; k++, j += stride) {
            keep[j] = laneKeep[k];
        }
    }

    private void keepContiguous(float[] x, int[] draws, int off, int[] keep) {
        int len = flipped.length;
        if (keys.length < len) {
            keys = new int[len];
            open = new int[len];
        }
        // keep: −1 kept whatever the rank, 0 dropped whatever the rank, 1 in the band (decided below).
        long andOr = MethodKernels.drawBand(x, draws, off, len, low, high, keys, keep);
        int varying = (int) (andOr >>> 32) ^ (int) andOr;   // key bits that differ within the lane
        int top = 32 - Integer.numberOfLeadingZeros(varying);   // just above the highest varying bit
        int span = varying == 0 ? 0 : top - Integer.numberOfTrailingZeros(varying);
        int bits = Math.min(span, topBits(len));
        int shift = top - bits;
        int mask = (1 << bits) - 1;

        // Count the buckets and list the band's elements in one pass.
        int[] c = clearedStarts(1 << bits);
        int[] ks = keys;
        int[] todo = open;
        int pending = 0;
        for (int k = 0; k < len; k++) {
            c[((ks[k] >>> shift) & mask) + 1]++;
            todo[pending] = k;               // kept only when k is in the band
            pending += keep[off + k] == 1 ? 1 : 0;
        }
        if (pending == 0) {
            return;
        }
        for (int b = 1; b <= mask + 1; b++) {
            c[b] += c[b - 1];
        }

        // Narrow each band element to its bucket's rank range; list the still undecided ones.
        int[] t = flipped;
        int[] scan = undecided;
        int unsure = 0;
        for (int u = 0; u < pending; u++) {
            int k = todo[u];
            int b = (ks[k] >>> shift) & mask;
            int lo = t[c[b]];
            int hi = t[c[b + 1] - 1];
            long w = draws[off + k] ^ Integer.MIN_VALUE;
            long sure = (w - Math.min(lo, hi)) >> 63;         // −1: below every threshold of the range
            keep[off + k] = (int) sure;
            scan[unsure] = k;                                  // kept only when between them
            unsure = Math.min(unsure + (int) (~sure & ((w - Math.max(lo, hi)) >> 63) & 1), MAX_SCANS);
        }
        if (unsure < MAX_SCANS) {
            for (int u = 0; u < unsure; u++) {
                int k = scan[u];
                keep[off + k] = decide(draws[off + k], MethodKernels.stableRank(ks, len, k));
            }
            return;
        }
        // Too many to count one by one: rank the whole lane.
        if (ranks.length < len) {
            ranks = new int[len];
        }
        lanes.ranks(x, off, 1, len, ranks);
        for (int u = 0; u < pending; u++) {
            int k = todo[u];
            keep[off + k] = decide(draws[off + k], ranks[k]);
        }
    }

    /** −1 when the draw is below the threshold of the rank, else 0. */
    private int decide(int draw, int rank) {
        return (int) (((long) (draw ^ Integer.MIN_VALUE) - flipped[rank]) >> 63);
    }

    /**
     * Bucket index width: about one bucket per element of the lane (from 16 up to 2^12 buckets). Finer
     * buckets would not split the equal magnitudes that leave most elements undecided, and their
     * clearing and prefix sums cost as much as the counting.
     */
    static int topBits(int len) {
        return Math.clamp(31 - Integer.numberOfLeadingZeros(len), 4, 12);
    }

    /** The zeroed counts of {@code buckets} buckets plus one (the prefix sums' leading zero). */
    private int[] clearedStarts(int buckets) {
        if (starts.length < buckets + 1) {
            starts = new int[buckets + 1];
        } else {
            java.util.Arrays.fill(starts, 0, buckets + 1, 0);
        }
        return starts;
    }
}
