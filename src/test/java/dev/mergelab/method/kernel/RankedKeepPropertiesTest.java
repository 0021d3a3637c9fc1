package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link RankedKeep} decides exactly {@code draw < thresholds[rank]} (unsigned) with rank the reference
 * stable rank, on every path: decided by the draw alone, by the bucket's rank range, by a scan, and by
 * the full ranking when too many are undecided (one outlier over crowded tiny keys, or ε near its
 * limit). Thresholds rising (ε &gt; 0), falling (ε &lt; 0) and flat (ε = 0 or one-element lanes).
 */
class RankedKeepPropertiesTest {

    @Property(tries = 300)
    void keepsExactlyTheRankThresholdRule(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6000) int len,
                                          @ForAll @IntRange(min = 0, max = 4) int kind,
                                          @ForAll @IntRange(min = 1, max = 3) int stride,
                                          @ForAll @IntRange(min = 0, max = 2) int off,
                                          @ForAll @IntRange(min = -100, max = 100) int epsPercent) {
        Random r = new Random(seed);
        int n = off + (len - 1) * stride + 1;
        float[] x = LaneRanksPropertiesTest.data(r, kind, n);
        double density = 0.5;
        double eps = 0.4999 * epsPercent / 100.0;
        int[] thresholds = new int[len];
        for (int k = 0; k < len; k++) {
            thresholds[k] = PositionRandom.threshold32(len > 1 ? density - eps + 2 * eps / (len - 1) * k : density);
        }
        int[] draws = new int[n];
        PositionRandom.words(r.nextLong(), r.nextInt(3), draws, n);

        int[] rank = LaneRanksPropertiesTest.reference(x, off, stride, len);
        int[] expected = new int[n];
        Arrays.fill(expected, 7);
        for (int k = 0; k < len; k++) {
            int j = off + k * stride;
            expected[j] = Integer.compareUnsigned(draws[j], thresholds[rank[k]]) < 0 ? -1 : 0;
        }
        int[] keep = new int[n];
        Arrays.fill(keep, 7);
        new RankedKeep(thresholds).keep(x, off, stride, draws, keep);
        assertArrayEquals(expected, keep);
    }
}
