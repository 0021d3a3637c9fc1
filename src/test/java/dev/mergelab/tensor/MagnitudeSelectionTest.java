package dev.mergelab.tensor;

import dev.mergelab.method.kernel.MagnitudeCut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MagnitudeSelectionTest {

    /** Values drawn from a small pool (many duplicates, both signs, zeros of both signs), or wide random. */
    static float[] data(Random r, int n, int distinct) {
        float[] pool = new float[Math.max(1, distinct)];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = i == 0 ? 0f : (float) r.nextGaussian();
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float v = distinct == 0 ? Float.intBitsToFloat(r.nextInt()) : pool[r.nextInt(pool.length)];
            x[i] = r.nextBoolean() ? -v : v;
        }
        return x;
    }

    static int[] sortedKeys(float[] x, int off, int n) {
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) {
            keys[i] = Float.floatToRawIntBits(x[off + i]) & 0x7FFFFFFF;
        }
        Arrays.sort(keys);
        return keys;
    }

    /** Sizes on both sides of {@link MagnitudeSelection#RADIX_MIN}, so both stages are exercised. */
    @Property(tries = 400)
    void kthLargestEqualsSortedAnswer(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12000) int n,
                                      @ForAll @IntRange(min = 0, max = 40) int distinct, @ForAll @IntRange(min = 0, max = 5) int off) {
        Random r = new Random(seed);
        float[] x = data(r, n + off, distinct);
        int[] sorted = sortedKeys(x, off, n);
        for (int t = 0; t < 4; t++) {
            int k = 1 + r.nextInt(n);
            int[] scratch = new int[n + r.nextInt(3)];
            assertEquals(sorted[n - k], MagnitudeSelection.kthLargestKey(x, off, n, k, scratch), "k=" + k);
        }
        assertEquals(sorted[n - 1], MagnitudeSelection.kthLargestKey(x, off, n, 1, null));
        assertEquals(sorted[0], MagnitudeSelection.kthLargestKey(x, off, n, n, null));
    }

    /** The median-of-medians fallback (forced by a zero depth budget) gives the same answers. */
    @Property(tries = 200)
    void medianOfMediansFallbackIsCorrect(@ForAll long seed, @ForAll @IntRange(min = 1, max = 2000) int n,
                                          @ForAll @IntRange(min = 0, max = 10) int distinct) {
        Random r = new Random(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = distinct == 0 ? r.nextInt() : r.nextInt(distinct + 1);
        }
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        int p = r.nextInt(n);
        assertEquals(sorted[p], MagnitudeSelection.select(a.clone(), 0, n - 1, p, 0));
        assertEquals(sorted[p], MagnitudeSelection.selectAscending(a.clone(), 0, n, p));
    }

    /** Inputs that defeat naive pivots: sorted, reversed, organ pipe, all equal, sawtooth. */
    @Test
    void adversarialShapes() {
        int n = 100_003;
        int[][] shapes = {
            IntStream.range(0, n).toArray(),
            IntStream.range(0, n).map(i -> n - i).toArray(),
            IntStream.range(0, n).map(i -> Math.min(i, n - i)).toArray(),
            new int[n],
            IntStream.range(0, n).map(i -> i % 17).toArray(),
            IntStream.range(0, n).map(i -> (i * 7919) % 1000).toArray(),
        };
        for (int[] shape : shapes) {
            int[] sorted = shape.clone();
            Arrays.sort(sorted);
            for (int p : new int[] {0, 1, n / 3, n / 2, n - 2, n - 1}) {
                assertEquals(sorted[p], MagnitudeSelection.selectAscending(shape.clone(), 0, n, p));
            }
        }
    }

    @Property(tries = 300)
    void topKKeepsExactlyTheKLargestLowestIndexFirst(@ForAll long seed, @ForAll @IntRange(min = 0, max = 6000) int n,
                                                      @ForAll @IntRange(min = 0, max = 12) int distinct) {
        Random r = new Random(seed);
        float[] x = data(r, n, distinct);
        int k = r.nextInt(n + 1);
        // Expected: rank by (|x| key descending, index ascending), keep the first k.
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -(Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF))
                .thenComparingInt(i -> i));
        boolean[] expected = new boolean[n];
        for (int i = 0; i < k; i++) {
            expected[order[i]] = true;
        }
        MagnitudeCut cut = MagnitudeSelection.topK(x, 0, n, k, null);
        boolean[] keep = new boolean[n];
        assertEquals(k, cut.cursor().mask(x, 0, n, keep, 0));
        assertTrue(Arrays.equals(expected, keep));

        // The cursor gives the same answer when the tensor arrives in chunks.
        float[] chunked = x.clone();
        MagnitudeCut.Cursor c = cut.cursor();
        int kept = 0;
        for (int start = 0; start < n; start += 37) {
            kept += c.zeroDropped(chunked, start, Math.min(37, n - start));
        }
        assertEquals(k, kept);
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i] ? x[i] : 0f, chunked[i], 0f);
        }
        float[] inPlace = x.clone();
        MagnitudeSelection.keepTopK(inPlace, 0, n, k, new int[n]);
        assertTrue(Arrays.equals(chunked, inPlace));
    }

    /** Radix stage edge cases: everything in one bucket, the target in bucket 0, NaNs in the top bucket. */
    @Test
    void radixStageEdgeCases() {
        int n = 50_000;
        float[] same = new float[n];
        Arrays.fill(same, -0.5f);
        assertEquals(Float.floatToRawIntBits(0.5f), MagnitudeSelection.kthLargestKey(same, 0, n, 777, null));
        float[] tiny = new float[n];
        for (int i = 0; i < n; i++) {
            tiny[i] = Float.MIN_VALUE * (i % 5000); // all subnormal: bucket 0
        }
        int[] sorted = sortedKeys(tiny, 0, n);
        for (int k : new int[] {1, 2, n / 2, n - 1, n}) {
            assertEquals(sorted[n - k], MagnitudeSelection.kthLargestKey(tiny, 0, n, k, null));
        }
        float[] nans = tiny.clone();
        nans[17] = Float.intBitsToFloat(0xFFC00001);
        nans[40_000] = Float.POSITIVE_INFINITY;
        assertEquals(0x7FC00001, MagnitudeSelection.kthLargestKey(nans, 0, n, 1, null));
        assertEquals(0x7F800000, MagnitudeSelection.kthLargestKey(nans, 0, n, 2, null));
    }

    @Test
    void nanRanksAboveInfinityAndArgumentsAreChecked() {
        float[] x = {1f, Float.NaN, Float.NEGATIVE_INFINITY, -0f, 0f};
        assertTrue(Float.isNaN(MagnitudeSelection.kthLargestMagnitude(x, 0, 5, 1, null)));
        assertEquals(Float.POSITIVE_INFINITY, MagnitudeSelection.kthLargestMagnitude(x, 0, 5, 2, null));
        assertEquals(1f, MagnitudeSelection.kthLargestMagnitude(x, 0, 5, 3, null));
        MagnitudeCut zeros = MagnitudeSelection.topK(x, 0, 5, 4, null);
        assertEquals(0, zeros.key());
        assertEquals(1, zeros.ties()); // -0 at index 3 is kept, +0 at index 4 is not
        assertThrows(IllegalArgumentException.class, () -> MagnitudeSelection.kthLargestKey(x, 0, 5, 0, null));
        assertThrows(IllegalArgumentException.class, () -> MagnitudeSelection.kthLargestKey(x, 0, 5, 6, null));
        assertThrows(IllegalArgumentException.class, () -> MagnitudeSelection.kthLargestKey(x, 0, 5, 1, new int[4]));
        assertEquals(MagnitudeCut.NONE, MagnitudeSelection.topK(x, 0, 5, 0, null));
    }
}
