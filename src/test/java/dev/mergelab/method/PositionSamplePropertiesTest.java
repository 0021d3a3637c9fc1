package dev.mergelab.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.method.kernel.RadixSelect;
import dev.mergelab.method.kernel.MagnitudeCut;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link PositionSample} picks the same positions as a radix selection over every position's key (what
 * arcee_fusion did before it kept candidates only), whatever the candidate window it starts from.
 */
class PositionSamplePropertiesTest {

    /** The k largest keys of all n positions, equal keys in index order, as positions in ascending order. */
    static long[] overAllKeys(long randomKey, int n, int k) {
        int[] keys = new int[n];
        for (int j = 0; j < n; j++) {
            keys[j] = PositionSample.key(randomKey, j);
        }
        RadixSelect select = new RadixSelect();
        select.countHigh(keys, n);
        select.resolve(k);
        select.countLow(keys, n);
        MagnitudeCut.Cursor cursor = select.cut(0).cursor();
        long[] out = new long[k];
        int m = 0;
        for (int j = 0; j < n; j++) {
            if (cursor.keeps(Float.intBitsToFloat(keys[j]))) {
                out[m++] = j;
            }
        }
        return out;
    }

    @Property(tries = 200)
    void sameSampleAsSelectingOverAllKeys(@ForAll long randomKey, @ForAll @IntRange(min = 2, max = 20_000) int n,
                                          @ForAll @IntRange(min = 1, max = 1000) int percentOfN) {
        int k = (int) Math.max(1, Math.min(n - 1, (long) n * percentOfN / 1000));
        long[] expected = overAllKeys(randomKey, n, k);
        assertArrayEquals(expected, Arrays.copyOf(PositionSample.draw(randomKey, n, k), k));
    }

    /** A window far too small for k makes the first candidate sets fall short: the retries still give the sample. */
    @Property(tries = 50)
    void shortCandidateSetsAreRedrawn(@ForAll long randomKey, @ForAll @IntRange(min = 100, max = 5000) int n,
                                      @ForAll @IntRange(min = 1, max = 60) int k, @ForAll @IntRange(min = 1, max = 1000) int window) {
        assertArrayEquals(overAllKeys(randomKey, n, k), Arrays.copyOf(PositionSample.draw(randomKey, n, k, window), k));
    }

    /**
     * Keys of 30 bits collide among 2^18 positions (about 32 equal pairs): a k that cuts through an equal
     * pair keeps the lower index only.
     */
    @Test
    void tiesAtTheCutFollowIndexOrder() {
        long randomKey = 42;
        int n = 1 << 18;
        long[] byKey = new long[n];
        for (int j = 0; j < n; j++) {
            byKey[j] = (long) PositionSample.key(randomKey, j) << 32 | j;
        }
        Arrays.sort(byKey);
        int checked = 0;
        for (int i = n - 1; i > 0; i--) {
            if (byKey[i] >>> 32 == byKey[i - 1] >>> 32) {
                int k = n - i; // every key above the pair, plus one of the pair
                long[] sample = Arrays.copyOf(PositionSample.draw(randomKey, n, k), k);
                assertArrayEquals(overAllKeys(randomKey, n, k), sample, "k " + k);
                long first = byKey[i - 1] & 0xFFFFFFFFL;
                long second = byKey[i] & 0xFFFFFFFFL;
                assertTrue(Arrays.binarySearch(sample, first) >= 0 && Arrays.binarySearch(sample, second) < 0, "k " + k);
                if (++checked == 3) {
                    break;
                }
            }
        }
        assertEquals(3, checked, "expected equal keys among 2^18 positions");
    }

    @Test
    void needsASampleSmallerThanThePopulation() {
        assertThrows(IllegalArgumentException.class, () -> PositionSample.draw(1, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> PositionSample.draw(1, 10, 0));
    }
}
