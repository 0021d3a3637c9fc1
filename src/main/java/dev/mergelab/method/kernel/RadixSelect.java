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
 * guesses the buckets each rank will land in, and pass 1 then also keeps the keys that fall in those
 * buckets (a few % of them), appended to a list without a branch; only the buckets the ranks resolve
 * to are counted from the list, so pass 1 scatters no increments over the guessed buckets' 64 Ki-entry
 * histograms (their cache misses made pass 1 cost three times a plain histogram). A list that would
 * outgrow {@link #MAX_KEPT} keys is counted into those histograms as before. When every rank
 * resolves inside the guessed buckets (tensors whose rows look alike), {@link #resolve} says so and the
 * answer needs no pass 2; when not, pass 2 runs as before. The answer is the same either way.
 *
 * <p>A pass can be shared among threads: each counts its chunks into a {@link #partial} and
 * {@link #add} sums the counts, which are integers, so the answer is exactly the one-thread answer
 * whatever the split.
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
    private final int maxKept;

    private long[] ranks;
    private int[] bucketOfRank;    // index into buckets
    private long[] aboveBucket;    // keys in higher buckets, per rank
    private int[] buckets;         // distinct high buckets to refine
    private long[][] low;

    /** Most keys of guessed buckets listed before the list is counted into histograms (16 MiB). */
    static final int MAX_KEPT = 1 << 22;

    private boolean lowNeeded;     // whether pass 2 must count low bits (known after resolve)
    private short[] slotOf;        // high bucket → 1 + its slot in guessedLow, 0 when not guessed
    private int[][] guessedLow;    // low-bit histograms of guessed buckets, for keys the list could not hold
    /** The guessed buckets as ranges [from, from + span) per rank (they are contiguous per rank); empty when not guessing. */
    private int[] guessFrom = new int[0];
    private int[] guessSpan = new int[0];
    private int[] kept = new int[0];   // keys of guessed buckets, in any order
    private int keptCount;
    private int guessedSlots;      // buckets guessed: the slots of guessedLow
    /** Chunks marked by {@link #chunkAt}, in the order they were listed: first position, offset in the list. */
    private long[] markStart = new long[0];
    private int[] markOffset = new int[0];
    private int marks;
    private boolean marksLost;     // the list was counted into histograms: the chunks' keys are gone
    /** After resolve, per rank: chunk starts in order and the keys equal to the rank's cut key before each. */
    private long[] tieStarts;
    private long[][] tiesBefore;

    public RadixSelect() {
        this(MAX_KEPT);
    }

    /** A select whose list of guessed keys holds at most {@code maxKept} (tests make it overflow). */
    RadixSelect(int maxKept) {
        this.maxKept = maxKept;
    }

    /** Pass 1: adds {@code keys[0..n)} to the high-bit histogram (and keeps the keys of guessed buckets). */
    public void countHigh(int[] keys, int n) {
        long[] h = high;
        count += n;
        if (slotOf == null) {
            for (int j = 0; j < n; j++) {
                h[keys[j] >>> 16]++;
            }
            return;
        }
        if (!room(n)) {
            for (int j = 0; j < n; j++) {
                h[keys[j] >>> 16]++;
            }
            countGuessed(keys, n);
            return;
        }
        int[] list = kept;
        int c = keptCount;
        if (guessFrom.length <= 2) {
            // Unsigned range tests, with an empty second range when one rank is guessed.
            int from0 = guessFrom.length > 0 ? guessFrom[0] : 0;
            int span0 = (guessFrom.length > 0 ? guessSpan[0] : 0) + Integer.MIN_VALUE;
            int from1 = guessFrom.length > 1 ? guessFrom[1] : 0;
            int span1 = (guessFrom.length > 1 ? guessSpan[1] : 0) + Integer.MIN_VALUE;
            for (int j = 0; j < n; j++) {
                int key = keys[j];
                int b = key >>> 16;
                h[b]++;
                list[c] = key;   // kept only when the bucket is guessed: no branch to mispredict
                c += (b - from0 + Integer.MIN_VALUE < span0) | (b - from1 + Integer.MIN_VALUE < span1) ? 1 : 0;
            }
        } else {
            short[] slot = slotOf;
            for (int j = 0; j < n; j++) {
                int key = keys[j];
                h[key >>> 16]++;
                list[c] = key;
                c += slot[key >>> 16] != 0 ? 1 : 0;
            }
        }
        keptCount = c;
    }

    /**
     * During pass 1: the keys counted next are those of the chunk at flat position {@code start} (mark
     * every chunk, or none). When the chunks are marked and the ranks resolve from the guess,
     * {@link #tiedBefore} tells how many elements equal to a cut key come before each chunk, so a cut's
     * tie quota can be applied to chunks in any order.
     */
    public void chunkAt(long start) {
        markOffset(start, keptCount);
    }

    /**
     * Whether the list has room for n more keys, after growing it or counting it into the guessed
     * histograms; false when n alone is more than it may hold (then count straight into them).
     */
    private boolean room(int n) {
        if (keptCount + n <= kept.length) {
            return true;
        }
        if (keptCount + n > maxKept) {
            countGuessed(kept, keptCount);
            keptCount = 0;
            marksLost = true;
            if (n > maxKept) {
                return false;
            }
        }
        if (keptCount + n > kept.length) {
            kept = java.util.Arrays.copyOf(kept, (int) Math.min(maxKept, Math.max(keptCount + n, 2L * kept.length)));
        }
        return true;
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
        guessFrom = new int[0];
        guessSpan = new int[0];
        for (int r = 0; r < fractions.length; r++) {
            long k = (long) Math.ceil(fractions[r] * count);
            if (k <= 0 || k > count) {
                continue;
            }
            int first = slots;
            int lowest = Integer.MAX_VALUE;
            int highest = -1;
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
                        lowest = Math.min(lowest, b);
                        highest = Math.max(highest, b);
                    }
                }
            }
            // This rank's buckets and those between them that earlier ranks took: a contiguous range.
            if (slots > first) {
                guessFrom = java.util.Arrays.copyOf(guessFrom, guessFrom.length + 1);
                guessSpan = java.util.Arrays.copyOf(guessSpan, guessSpan.length + 1);
                guessFrom[guessFrom.length - 1] = lowest;
                guessSpan[guessSpan.length - 1] = highest - lowest + 1;
            }
        }
        guessedSlots = slots;
        keep(keys, n);
    }

    /** Lists (or, past the list's limit, counts) the keys of {@code keys[0..n)} in guessed buckets. */
    private void keep(int[] keys, int n) {
        if (!room(n)) {
            countGuessed(keys, n);
            return;
        }
        short[] slot = slotOf;
        int[] list = kept;
        int c = keptCount;
        for (int j = 0; j < n; j++) {
            int key = keys[j];
            list[c] = key;
            c += slot[key >>> 16] != 0 ? 1 : 0;
        }
        keptCount = c;
    }

    /** Heap a select keeps at most: its histograms for {@code ranks} ranks, and the guessed ones if guessing. */
    public static long stateBytes(int ranks, boolean guessing) {
        long guessed = guessing ? (long) MAX_GUESSED * LOW_BUCKETS * Integer.BYTES + (long) MAX_KEPT * Integer.BYTES : 0;
        return HIGH_BUCKETS * (Long.BYTES + Short.BYTES) + guessed + ranks * (long) LOW_BUCKETS * Long.BYTES;
    }

    /** Counts the keys of guessed buckets into their histograms (made on first use). */
    private void countGuessed(int[] keys, int n) {
        if (guessedLow == null) {
            guessedLow = new int[guessedSlots][LOW_BUCKETS];
        }
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

    /**
     * An empty select counting into its own histograms for the same pass as this one: pass 1 (with this
     * one's guess, after {@link #guess}) before {@link #resolve}, pass 2 after it. Give it chunks that
     * this one does not see, possibly on another thread, then {@link #add} it. It shares only what the
     * pass does not change.
     */
    public RadixSelect partial() {
        RadixSelect p = new RadixSelect(maxKept);
        if (ranks == null) {
            p.slotOf = slotOf;
            p.guessFrom = guessFrom;
            p.guessSpan = guessSpan;
            p.guessedSlots = guessedSlots;
            return p;
        }
        p.high = null;
        p.ranks = ranks;
        p.bucketOfRank = bucketOfRank;
        p.aboveBucket = aboveBucket;
        p.buckets = buckets;
        p.low = new long[buckets.length][LOW_BUCKETS];
        p.lowNeeded = lowNeeded;
        p.slotOf = slotOf;
        return p;
    }

    /** Adds the counts of a {@link #partial} of this select, after its chunks; the order of adds does not matter. */
    public void add(RadixSelect part) {
        if (ranks == null) {
            count += part.count;
            for (int b = 0; b < HIGH_BUCKETS; b++) {
                high[b] += part.high[b];
            }
            if (part.guessedLow != null) {
                if (guessedLow == null) {
                    guessedLow = new int[guessedSlots][LOW_BUCKETS];
                }
                for (int s = 0; s < guessedSlots; s++) {
                    for (int v = 0; v < LOW_BUCKETS; v++) {
                        guessedLow[s][v] += part.guessedLow[s][v];
                    }
                }
            }
            marksLost |= part.marksLost;
            if (room(part.keptCount)) {
                for (int m = 0; m < part.marks; m++) {
                    markOffset(part.markStart[m], keptCount + part.markOffset[m]);
                }
                System.arraycopy(part.kept, 0, kept, keptCount, part.keptCount);
                keptCount += part.keptCount;
            } else {
                countGuessed(part.kept, part.keptCount);
                marksLost = true;
            }
            return;
        }
        for (int s = 0; s < low.length; s++) {
            for (int v = 0; v < LOW_BUCKETS; v++) {
                low[s][v] += part.low[s][v];
            }
        }
    }

    private void markOffset(long start, int offset) {
        if (marks == markStart.length) {
            markStart = java.util.Arrays.copyOf(markStart, Math.max(16, 2 * marks));
            markOffset = java.util.Arrays.copyOf(markOffset, markStart.length);
        }
        markStart[marks] = start;
        markOffset[marks++] = offset;
    }

    /**
     * Per rank, the count of listed keys equal to its cut key in each marked chunk, summed over the
     * chunks before it in position order (a chunk's listed keys run from its mark to the next mark).
     */
    private void countTiesByChunk() {
        Integer[] order = new Integer[marks];
        for (int m = 0; m < marks; m++) {
            order[m] = m;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingLong(m -> markStart[m]));
        tieStarts = new long[marks];
        tiesBefore = new long[ranks.length][marks];
        for (int r = 0; r < ranks.length; r++) {
            if (ranks[r] == 0) {
                continue;
            }
            int key = cut(r).key();
            long sum = 0;
            for (int i = 0; i < marks; i++) {
                int m = order[i];
                int end = m + 1 < marks ? markOffset[m + 1] : keptCount;
                tiesBefore[r][i] = sum;
                for (int j = markOffset[m]; j < end; j++) {
                    sum += kept[j] == key ? 1 : 0;
                }
            }
        }
        for (int i = 0; i < marks; i++) {
            tieStarts[i] = markStart[order[i]];
        }
    }

    /** Whether {@link #tiedBefore} is known: every chunk was marked, the ranks resolved from the guess, the list held. */
    public boolean knowsTiesBefore() {
        return tiesBefore != null;
    }

    /**
     * After resolve: how many elements with the {@code which}-th rank's cut key lie in the chunks before
     * the chunk at flat position {@code start} (one that was marked).
     */
    public long tiedBefore(int which, long start) {
        int i = java.util.Arrays.binarySearch(tieStarts, start);
        if (i < 0) {
            throw new IllegalStateException("no chunk was marked at " + start);
        }
        return tiesBefore[which][i];
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
        boolean guessed = slotOf != null;
        for (int s = 0; s < distinct && guessed; s++) {
            guessed = slotOf[buckets[s]] != 0;
        }
        for (int s = 0; s < distinct && guessed; s++) {
            if (guessedLow != null) {
                int[] counted = guessedLow[slotOf[buckets[s]] - 1];
                for (int v = 0; v < LOW_BUCKETS; v++) {
                    low[s][v] = counted[v];
                }
            }
        }
        if (guessed) {
            countKept(found, distinct);
        }
        if (guessed && distinct > 0 && marks > 0 && !marksLost) {
            countTiesByChunk();
        }
        guessedLow = null;
        slotOf = null;
        kept = null;
        keptCount = 0;
        guessFrom = new int[0];
        guessSpan = new int[0];
        if (distinct > 1 && !guessed) {   // countLow of several buckets looks their slots up
            slotOf = new short[HIGH_BUCKETS];
            for (int s = 0; s < distinct; s++) {
                slotOf[buckets[s]] = (short) (s + 1);
            }
        }
        lowNeeded = distinct > 0 && !guessed;
        return lowNeeded;
    }

    /** Adds the listed keys of the resolved buckets {@code found[0..distinct)} to their low-bit histograms. */
    private void countKept(int[] found, int distinct) {
        int[] list = kept;
        for (int s = 0; s < distinct; s++) {
            int b = found[s];
            long[] l = low[s];
            for (int j = 0; j < keptCount; j++) {
                int key = list[j];
                if (key >>> 16 == b) {   // the list is a few % of the tensor: a cheap sequential scan
                    l[key & 0xFFFF]++;
                }
            }
        }
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
