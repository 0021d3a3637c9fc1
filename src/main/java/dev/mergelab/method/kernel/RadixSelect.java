package dev.mergelab.method.kernel;

import dev.mergelab.tensor.MagnitudeCut;

/**
 * Exact streaming selection of the k-th largest of a stream of non-negative int keys (float magnitude
 * keys, see {@link dev.mergelab.tensor.FloatKernels#magnitudeKey}), in two passes over the data and
 * O(histogram) memory instead of a copy of the tensor:
 * <ol>
 *   <li>{@link #countHigh}: a histogram of the high 15 bits (keys are below 2^31);</li>
 *   <li>{@link #resolve} walks it from the top to the bucket holding each requested rank;</li>
 *   <li>{@link #countLow}: within those buckets only, a histogram of the low 16 bits, which pins the
 *       exact key and how many keys lie strictly above it.</li>
 * </ol>
 * The answer is a {@link MagnitudeCut}: keys above the threshold plus the first {@code k − above}
 * elements equal to it in index order (the deterministic tie rule), which its cursor applies as the
 * chunks come by in row order. Several ranks share the two passes (breadcrumbs' two cut points,
 * arcee_fusion's three quantiles).
 */
public final class RadixSelect {

    private static final int HIGH_BUCKETS = 1 << 15;
    private static final int LOW_BUCKETS = 1 << 16;

    private long[] high = new long[HIGH_BUCKETS];
    private long count;

    private long[] ranks;
    private int[] bucketOfRank;    // index into buckets
    private long[] aboveBucket;    // keys in higher buckets, per rank
    private int[] buckets;         // distinct high buckets to refine
    private long[][] low;

    /** Pass 1: adds {@code keys[0..n)} to the high-bit histogram. */
    public void countHigh(int[] keys, int n) {
        long[] h = high;
        for (int j = 0; j < n; j++) {
            h[keys[j] >>> 16]++;
        }
        count += n;
    }

    /** Keys seen in pass 1. */
    public long count() {
        return count;
    }

    /**
     * Between the passes: the ranks wanted, each k-th largest with 0 ≤ k (k = 0 selects nothing; k above
     * the count is clamped to it). Returns whether {@link #countLow} is needed.
     */
    public boolean resolve(long... k) {
        ranks = new long[k.length];
        bucketOfRank = new int[k.length];
        aboveBucket = new long[k.length];
        int[] found = new int[k.length];
        int distinct = 0;
        for (int r = 0; r < k.length; r++) {
            ranks[r] = Math.min(Math.max(k[r], 0), count);
            bucketOfRank[r] = -1;
            if (ranks[r] == 0) {
                continue;
            }
            long cum = 0;
            int b = HIGH_BUCKETS - 1;
            while (cum + high[b] < ranks[r]) {
                cum += high[b--];
            }
            aboveBucket[r] = cum;
            int slot = -1;
            for (int s = 0; s < distinct; s++) {
                if (found[s] == b) {
                    slot = s;
                }
            }
            if (slot < 0) {
                slot = distinct;
                found[distinct++] = b;
            }
            bucketOfRank[r] = slot;
        }
        buckets = java.util.Arrays.copyOf(found, distinct);
        low = new long[distinct][LOW_BUCKETS];
        high = null;
        return distinct > 0;
    }

    /** Pass 2: the low-bit histograms of the keys that fall in a chosen bucket. */
    public void countLow(int[] keys, int n) {
        if (buckets.length == 1) {
            int b = buckets[0];
            long[] l = low[0];
            for (int j = 0; j < n; j++) {
                int key = keys[j];
                if (key >>> 16 == b) {
                    l[key & 0xFFFF]++;
                }
            }
            return;
        }
        for (int j = 0; j < n; j++) {
            int key = keys[j];
            for (int s = 0; s < buckets.length; s++) {
                if (key >>> 16 == buckets[s]) {
                    low[s][key & 0xFFFF]++;
                }
            }
        }
    }

    /** After pass 2: the cut keeping exactly the {@code which}-th requested rank's k largest keys. */
    public MagnitudeCut cut(int which) {
        if (ranks[which] == 0) {
            return MagnitudeCut.NONE;
        }
        int slot = bucketOfRank[which];
        long[] l = low[slot];
        long cum = aboveBucket[which];
        int b = LOW_BUCKETS - 1;
        while (cum + l[b] < ranks[which]) {
            cum += l[b--];
        }
        int key = buckets[slot] << 16 | b;
        return new MagnitudeCut(key, Math.toIntExact(ranks[which] - cum));
    }

    /** After pass 2: the key of the {@code which}-th requested rank (its k-th largest key). */
    public int key(int which) {
        if (ranks[which] == 0) {
            throw new IllegalStateException("rank 0 selects no key");
        }
        return cut(which).key();
    }
}
