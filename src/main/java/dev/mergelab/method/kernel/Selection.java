package dev.mergelab.method.kernel;

import java.util.Arrays;

/**
 * Rank selection by magnitude without sorting. Magnitudes are compared through their IEEE bit patterns
 * with the sign cleared: for non-negative floats the integer order is the numeric order, and NaN sorts
 * above +inf instead of breaking the comparisons.
 *
 * <p>Ranks are those of a <em>stable</em> ascending sort: equal magnitudes rank in index order. Upstream
 * breaks such ties arbitrarily (METHODS.md §1), so any deterministic rule is acceptable; this one costs
 * a single counter per cut.
 */
public final class Selection {

    private Selection() {
    }

    /** |x| as totally ordered int keys. */
    public static int[] magnitudeKeys(float[] x) {
        int[] keys = new int[x.length];
        for (int j = 0; j < x.length; j++) {
            keys[j] = Float.floatToRawIntBits(x[j]) & 0x7fffffff;
        }
        return keys;
    }

    /**
     * The key of ascending rank {@code r} in {@code a[from, to)}; reorders that range (quickselect with a
     * three-way partition, falling back to a sort if pivots keep going bad).
     */
    public static int select(int[] a, int from, int to, int r) {
        int lo = from;
        int hi = to - 1;
        int target = from + r;
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(to - from)) + 8;
        while (hi > lo) {
            if (--budget < 0) {
                Arrays.sort(a, lo, hi + 1);
                return a[target];
            }
            int pivot = median(a[lo], a[(lo + hi) >>> 1], a[hi]);
            int lt = lo;
            int i = lo;
            int gt = hi;
            while (i <= gt) {
                int v = a[i];
                if (v < pivot) {
                    a[i++] = a[lt];
                    a[lt++] = v;
                } else if (v > pivot) {
                    a[i] = a[gt];
                    a[gt--] = v;
                } else {
                    i++;
                }
            }
            if (target < lt) {
                hi = lt - 1;
            } else if (target > gt) {
                lo = gt + 1;
            } else {
                return pivot;
            }
        }
        return a[target];
    }

    private static int median(int a, int b, int c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /**
     * The cut between ascending ranks r−1 and r. Feed it every key once, in index order, through
     * {@link #atOrAbove}; it answers whether that element's stable rank is ≥ r.
     */
    public static final class Cut {
        private final int value;
        private final int equalBelow;
        private final boolean all;
        private final boolean none;
        private int seenEqual;

        private Cut(int value, int equalBelow, boolean all, boolean none) {
            this.value = value;
            this.equalBelow = equalBelow;
            this.all = all;
            this.none = none;
        }

        public boolean atOrAbove(int key) {
            if (all) {
                return true;
            }
            if (none) {
                return false;
            }
            if (key != value) {
                return key > value;
            }
            // Equal keys: the first `equalBelow` of them (in index order) rank below the cut.
            return seenEqual++ >= equalBelow;
        }
    }

    /**
     * A {@link Cut} at rank {@code r} of {@code keys}. {@code scratch} must hold a permutation of
     * {@code keys} and is reordered; one scratch can serve several cuts.
     */
    public static Cut cut(int[] keys, int[] scratch, int r) {
        int n = keys.length;
        if (r <= 0) {
            return new Cut(0, 0, true, false);
        }
        if (r >= n) {
            return new Cut(0, 0, false, true);
        }
        int v = select(scratch, 0, n, r);
        int less = 0;
        for (int k : keys) {
            if (k < v) {
                less++;
            }
        }
        return new Cut(v, r - less, false, false);
    }

    /**
     * x where the stable ascending rank of |x| lies in [lo, hi), else 0 (a new array). Top-k is
     * [n−k, n); breadcrumbs' "drop the smallest and the largest" is [n_bot, n−n_top).
     */
    public static float[] keepMagnitudeRanks(float[] x, int lo, int hi) {
        int[] keys = magnitudeKeys(x);
        int[] scratch = keys.clone();
        Cut from = cut(keys, scratch, lo);
        Cut to = cut(keys, scratch, hi);
        float[] out = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            boolean aboveLo = from.atOrAbove(keys[j]);
            boolean aboveHi = to.atOrAbove(keys[j]);
            if (aboveLo && !aboveHi) {
                out[j] = x[j];
            }
        }
        return out;
    }

    /** The k largest |x| kept, the rest zeroed (a new array). */
    public static float[] topKByMagnitude(float[] x, int k) {
        return keepMagnitudeRanks(x, x.length - k, x.length);
    }

    /**
     * Indicator of the k largest non-negative {@code values} (ties by index), as a boolean array.
     */
    public static boolean[] topKMask(float[] values, int k) {
        int[] keys = magnitudeKeys(values);
        Cut cut = cut(keys, keys.clone(), values.length - k);
        boolean[] mask = new boolean[values.length];
        for (int j = 0; j < values.length; j++) {
            mask[j] = cut.atOrAbove(keys[j]);
        }
        return mask;
    }

    /** The value of ascending rank r among the non-negative {@code values[0, n)}; reorders nothing given. */
    public static float rankValue(float[] values, int n, int r) {
        int[] keys = new int[n];
        for (int j = 0; j < n; j++) {
            keys[j] = Float.floatToRawIntBits(values[j]) & 0x7fffffff;
        }
        return Float.intBitsToFloat(select(keys, 0, n, r));
    }

    /**
     * Stable ascending ranks (0-based) of |x| along one lane: the "argsort of argsort" della needs.
     * Packs (magnitude key, position) into longs so a primitive sort orders them without boxing.
     */
    public static void laneRanks(float[] x, Lanes lanes, int lane, long[] scratch, int[] ranksOut) {
        int off = lanes.offset(lane);
        int len = lanes.length();
        int stride = lanes.stride();
        for (int k = 0; k < len; k++) {
            long key = Float.floatToRawIntBits(x[off + k * stride]) & 0x7fffffffL;
            scratch[k] = (key << 32) | k;
        }
        Arrays.sort(scratch, 0, len);
        for (int r = 0; r < len; r++) {
            ranksOut[(int) scratch[r]] = r;
        }
    }
}
