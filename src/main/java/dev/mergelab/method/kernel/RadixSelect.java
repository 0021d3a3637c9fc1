package dev.mergelab.method.kernel;


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
 *
 * <p>{@link #guess} makes the second pass usually unnecessary: from the first chunk's histogram it
 * guesses the buckets each rank will land in, and pass 1 then also keeps the low-bit histograms of
 * those buckets. When every rank resolves inside them (tensors whose rows look alike),
 * {@link #resolve} says so and the answer needs no pass 2; when not, pass 2 runs as before. The answer
 * is the same either way.
 */
public final class RadixSelect {

    private static final int HIGH_BUCKETS = 1 << 15;
    private static final int LOW_BUCKETS = 1 << 16;
    /** Buckets added on each side of a guess (a middle bucket holds about 2% of a bf16 task vector). */
    static final int GUESS_RADIUS = 1;
    /** Most buckets guessed, so their histograms take at most 4 MiB. */
    static final int MAX_GUESSED = 16;

    private long[] high = new long[HIGH_BUCKETS];
    private long count;

    private long[] ranks;
    private int[] bucketOfRank;    // index into buckets
    private long[] aboveBucket;    // keys in higher buckets, per rank
    private int[] buckets;         // distinct high buckets to refine
    private long[][] low;

    private boolean lowNeeded;     // whether pass 2 must count low bits (known after resolve)
    private short[] slotOf;        // high bucket → 1 + its slot in guessedLow, 0 when not guessed
    private int[][] guessedLow;    // low-bit histograms of the guessed buckets, filled during pass 1

    /** Pass 1: adds {@code keys[0..n)} to the high-bit histogram (and to the guessed buckets' low bits). */
    public void countHigh(int[] keys, int n) {
        long[] h = high;
        count += n;
        if (guessedLow != null) {
            short[] slot = slotOf;
            int[][] g = guessedLow;
            for (int j = 0; j < n; j++) {
                int key = keys[j];
                h[key >>> 16]++;
                int s = slot[key >>> 16];
                if (s != 0) {
                    g[s - 1][key & 0xFFFF]++;
                }
            }
            return;
        }
        for (int j = 0; j < n; j++) {
            h[keys[j] >>> 16]++;
        }
    }

    /**
     * During pass 1, after {@link #countHigh} of the tensor's first chunk: guesses, from the histogram so
     * far, where each rank given as a fraction of the whole tensor (k/n) will land, and keeps the low
     * bits of keys in those buckets from now on (this chunk included). A guess covers the buckets of
     * the chunk's ranks k ± (4√k + count/512), about 4 standard deviations of a sample quantile plus
     * 0.2% for rows that differ, and {@value #GUESS_RADIUS} more buckets on each side; at most
     * {@value #MAX_GUESSED} buckets in all. Counts are ints: only for tensors of fewer than 2^31 elements.
     */
    public void guess(int[] keys, int n, double... fractions) {
        slotOf = new short[HIGH_BUCKETS];
        int slots = 0;
        for (int r = 0; r < fractions.length; r++) {
            long k = (long) Math.ceil(fractions[r] * count);
            if (k <= 0 || k > count) {
                continue;
            }
            long margin = (long) (4 * Math.sqrt(k)) + count / 512;
            int center = bucketOfRank(k);
            int from = Math.max(0, bucketOfRank(Math.min(count, k + margin)) - GUESS_RADIUS);
            int to = Math.min(HIGH_BUCKETS - 1, bucketOfRank(Math.max(1, k - margin)) + GUESS_RADIUS);
            // Nearest buckets first, within this rank's share of the slots (a sparse tail can span many).
            int share = slots + (MAX_GUESSED - slots) / (fractions.length - r);
            for (int d = 0; slots < share && (center - d >= from || center + d <= to); d++) {
                for (int b : new int[] {center - d, center + d}) {
                    if (b >= from && b <= to && slots < share && slotOf[b] == 0) {
                        slotOf[b] = (short) ++slots;
                    }
                }
            }
        }
        guessedLow = new int[slots][LOW_BUCKETS];
        countGuessed(keys, n);
    }

    /** Heap a select keeps at most: its histograms for {@code ranks} ranks, and the guessed ones if guessing. */
    public static long stateBytes(int ranks, boolean guessing) {
        long guessed = guessing ? (long) MAX_GUESSED * LOW_BUCKETS * Integer.BYTES : 0;
        return HIGH_BUCKETS * (Long.BYTES + Short.BYTES) + guessed + ranks * (long) LOW_BUCKETS * Long.BYTES;
    }

    private void countGuessed(int[] keys, int n) {
        short[] slot = slotOf;
        int[][] g = guessedLow;
        for (int j = 0; j < n; j++) {
            int key = keys[j];
            int s = slot[key >>> 16];
            if (s != 0) {   // a few % of the keys: a well-predicted branch
                g[s - 1][key & 0xFFFF]++;
            }
        }
    }

    /** The high bucket holding the k-th largest key of the histogram so far (1 ≤ k ≤ count). */
    private int bucketOfRank(long k) {
        long cum = 0;
        int b = HIGH_BUCKETS - 1;
        while (cum + high[b] < k) {
            cum += high[b--];
        }
        return b;
    }

    /** Keys seen in pass 1. */
    public long count() {
        return count;
    }

    /**
     * Between the passes: the ranks wanted, each k-th largest with 0 ≤ k (k = 0 selects nothing; k above
     * the count is clamped to it). Returns whether {@link #countLow} is needed: not when every rank is 0
     * or every rank's bucket was guessed.
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
        boolean guessed = guessedLow != null;
        for (int s = 0; s < distinct && guessed; s++) {
            guessed = slotOf[buckets[s]] != 0;
        }
        for (int s = 0; s < distinct && guessed; s++) {
            int[] counted = guessedLow[slotOf[buckets[s]] - 1];
            for (int v = 0; v < LOW_BUCKETS; v++) {
                low[s][v] = counted[v];
            }
        }
        guessedLow = null;
        slotOf = null;
        if (distinct > 1 && !guessed) {   // countLow of several buckets looks their slots up
            slotOf = new short[HIGH_BUCKETS];
            for (int s = 0; s < distinct; s++) {
                slotOf[buckets[s]] = (short) (s + 1);
            }
        }
        lowNeeded = distinct > 0 && !guessed;
        return lowNeeded;
    }

    /** Pass 2: the low-bit histograms of the keys that fall in a chosen bucket (nothing when not needed). */
    public void countLow(int[] keys, int n) {
        if (!lowNeeded) {
            return;   // every rank is 0, or its bucket was guessed: the low bits are all counted
        }
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
        short[] slot = slotOf;
        long[][] l = low;
        for (int j = 0; j < n; j++) {
            int key = keys[j];
            int s = slot[key >>> 16];
            if (s != 0) {
                l[s - 1][key & 0xFFFF]++;
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

    /** After pass 2: how many keys equal the {@code which}-th requested rank's cut key (0 for rank 0). */
    public long tiedAt(int which) {
        return ranks[which] == 0 ? 0 : low[bucketOfRank[which]][cut(which).key() & 0xFFFF];
    }

    /** After pass 2: the key of the {@code which}-th requested rank (its k-th largest key). */
    public int key(int which) {
        if (ranks[which] == 0) {
            throw new IllegalStateException("rank 0 selects no key");
        }
        return cut(which).key();
    }
}
