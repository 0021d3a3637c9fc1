package dev.mergelab.tensor;

import dev.mergelab.method.kernel.MagnitudeCut;
import java.util.Objects;

/**
 * Selection of the k-th largest magnitude in O(n) without sorting, for magnitude pruning (TIES,
 * breadcrumbs, PEFT's magnitude prune).
 *
 * <p>Magnitudes are compared as {@link FloatKernels#magnitudeKey keys} (the float bits without the
 * sign): for non-NaN values this is the order of {@code |x|}, {@code +0} and {@code -0} tie, and NaNs
 * rank above infinity, so the answer is defined for every input and uses exact integer comparisons.
 *
 * <p>The algorithm has two stages, both deterministic:
 * <ol>
 *   <li>Radix narrowing (for n above {@value #RADIX_MIN}): one pass builds a histogram of the top 11
 *       key bits (sign-free exponent plus 3 mantissa bits) straight from the floats, the bucket that
 *       holds the k-th largest is found by walking the histogram from the top, and a second,
 *       branch-free pass gathers only that bucket's keys into the scratch array. For weight-like data
 *       this leaves a few percent of the elements, without the unpredictable branches of
 *       partitioning the whole tensor.</li>
 *   <li>Introselect on what is left: quickselect with a deterministic median-of-3 / Tukey ninther pivot
 *       and a three-way partition (model weights, especially bf16 ones, repeat values a lot, and a
 *       three-way split finishes as soon as the target lands among the copies of the pivot), switching
 *       to median-of-medians pivots once the partitioning depth exceeds {@code 2·log2(n)}, which bounds
 *       the worst case at O(n) whatever the bucket holds.</li>
 * </ol>
 * Total cost: two linear passes over the input plus a linear selection over one bucket. No sorting, no
 * randomness: the same input always takes the same path.
 */
public final class MagnitudeSelection {

    /** Below this size the radix narrowing is not worth its histogram. */
    static final int RADIX_MIN = 4096;
    /** Histogram on key bits 30..20. */
    private static final int RADIX_SHIFT = 20;
    private static final int BUCKETS = 1 << (31 - RADIX_SHIFT);

    /** Below this size a range is finished with insertion sort. */
    private static final int SMALL = 24;
    /** Above this size the pivot is Tukey's ninther rather than a median of three. */
    private static final int NINTHER = 128;

    private MagnitudeSelection() {
    }

    /**
     * The k-th largest magnitude key of {@code x[off .. off+n)}, 1 ≤ k ≤ n. {@code scratch} needs at least
     * {@code n} entries (its contents are overwritten) and may be null to allocate one.
     */
    public static int kthLargestKey(float[] x, int off, int n, int k, int[] scratch) {
        Objects.checkFromIndexSize(off, n, x.length);
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k must be in [1, " + n + "], got " + k);
        }
        int[] keys = scratch(scratch, n);
        if (n < RADIX_MIN) {
            FloatKernels.magnitudeKeys(x, off, keys, 0, n);
            return select(keys, 0, n - 1, n - k, depthBudget(n));
        }
        // Two interleaved histograms: neighbouring elements often share a bucket, and alternating the
        // counters keeps those increments from queueing behind each other.
        int[] hist = new int[2 * BUCKETS];
        int end = off + n;
        int i = off;
        for (; i + 1 < end; i += 2) {
            hist[(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) >>> RADIX_SHIFT]++;
            hist[BUCKETS + ((Float.floatToRawIntBits(x[i + 1]) & 0x7FFFFFFF) >>> RADIX_SHIFT)]++;
        }
        if (i < end) {
            hist[(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF) >>> RADIX_SHIFT]++;
        }
        int above = 0;
        int bucket = BUCKETS - 1;
        for (; bucket > 0; bucket--) {
            int c = hist[bucket] + hist[BUCKETS + bucket];
            if (above + c >= k) {
                break;
            }
            above += c;
        }
        int m = 0;
        for (i = off; i < end; i++) {
            int key = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
            keys[m] = key; // always written, kept only if in the bucket: no branch to mispredict
            m += (key >>> RADIX_SHIFT) == bucket ? 1 : 0;
        }
        // Within the bucket we want the (k - above)-th largest.
        return select(keys, 0, m - 1, m - (k - above), depthBudget(m));
    }

    /** The k-th largest {@code |x|} (1 ≤ k ≤ n) as a float: {@code Float.intBitsToFloat(kthLargestKey(...))}. */
    public static float kthLargestMagnitude(float[] x, int off, int n, int k, int[] scratch) {
        return Float.intBitsToFloat(kthLargestKey(x, off, n, k, scratch));
    }

    /**
     * The cut that keeps exactly the k largest magnitudes (0 ≤ k ≤ n), ties at the threshold going to
     * the lowest indices. Costs one selection plus one counting pass.
     */
    public static MagnitudeCut topK(float[] x, int off, int n, int k, int[] scratch) {
        Objects.checkFromIndexSize(off, n, x.length);
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("k must be in [0, " + n + "], got " + k);
        }
        if (k == 0) {
            return MagnitudeCut.NONE;
        }
        int key = kthLargestKey(x, off, n, k, scratch);
        int above = FloatKernels.countMagnitudeAbove(x, off, n, key);
        return new MagnitudeCut(key, k - above);
    }

    /** Zeroes all but the k largest magnitudes of {@code x[off .. off+n)} in place (ties: lowest index wins). */
    public static void keepTopK(float[] x, int off, int n, int k, int[] scratch) {
        topK(x, off, n, k, scratch).cursor().zeroDropped(x, off, n);
    }

    /**
     * Rearranges {@code keys[from .. from+n)} so that position {@code from+p} holds the value it would
     * hold if the range were sorted ascending, and returns that value. Works on any ints (not only
     * magnitude keys).
     */
    public static int selectAscending(int[] keys, int from, int n, int p) {
        Objects.checkFromIndexSize(from, n, keys.length);
        Objects.checkIndex(p, n);
        return select(keys, from, from + n - 1, from + p, depthBudget(n));
    }

    static int depthBudget(int n) {
        return 2 * (32 - Integer.numberOfLeadingZeros(n));
    }

    private static int[] scratch(int[] scratch, int n) {
        if (scratch == null) {
            return new int[n];
        }
        if (scratch.length < n) {
            throw new IllegalArgumentException("scratch has " + scratch.length + " entries, need " + n);
        }
        return scratch;
    }

    /**
     * Introselect on {@code a[lo..hi]} (inclusive) for absolute position {@code p}. {@code depth} is the
     * number of ninther-pivot rounds allowed before switching to median-of-medians; tests pass 0 to
     * exercise the fallback.
     */
    static int select(int[] a, int lo, int hi, int p, int depth) {
        while (hi - lo >= SMALL) {
            int pivot = depth-- > 0 ? samplePivot(a, lo, hi) : medianOfMedians(a, lo, hi);
            // Dijkstra's three-way partition: [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot.
            int lt = lo;
            int gt = hi;
            int i = lo;
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
            if (p < lt) {
                hi = lt - 1;
            } else if (p > gt) {
                lo = gt + 1;
            } else {
                return pivot;
            }
        }
        insertionSort(a, lo, hi);
        return a[p];
    }

    private static int samplePivot(int[] a, int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        if (hi - lo < NINTHER) {
            return median3(a[lo], a[mid], a[hi]);
        }
        int s = (hi - lo) / 8;
        return median3(
                median3(a[lo], a[lo + s], a[lo + 2 * s]),
                median3(a[mid - s], a[mid], a[mid + s]),
                median3(a[hi - 2 * s], a[hi - s], a[hi]));
    }

    private static int median3(int x, int y, int z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }

    /**
     * The median of the medians of groups of five, found recursively: a pivot with at least 3/10 of the
     * range on each side, which keeps the selection linear whatever the input. Permutes {@code a[lo..hi]}.
     */
    private static int medianOfMedians(int[] a, int lo, int hi) {
        int m = lo;
        for (int g = lo; g <= hi; g += 5) {
            int e = Math.min(g + 4, hi);
            insertionSort(a, g, e);
            int med = (g + e) >>> 1;
            int t = a[med];
            a[med] = a[m];
            a[m++] = t;
        }
        int count = m - lo;
        return select(a, lo, m - 1, lo + (count - 1) / 2, depthBudget(count));
    }

    private static void insertionSort(int[] a, int lo, int hi) {
        for (int i = lo + 1; i <= hi; i++) {
            int v = a[i];
            int j = i - 1;
            while (j >= lo && a[j] > v) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = v;
        }
    }
}
