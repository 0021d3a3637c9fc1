package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link MethodKernels#positionKeysAtOrAbove}: keys are the top 30 bits of {@link PositionRandom#word},
 * and the vector scan finds exactly the offsets the scalar loop finds, in order, from odd and even
 * starts.
 */
class PositionKeysPropertiesTest {

    static final MethodKernelSupport REF = MethodKernels.scalar();
    static final MethodKernelSupport VEC = MethodKernels.vector().orElseThrow();

    @Property(tries = 300)
    void vectorScanFindsTheScalarOffsets(@ForAll long stream, @ForAll long seed, @ForAll @IntRange(min = 0, max = 3000) int n) {
        SplittableRandom r = new SplittableRandom(seed);
        long start = r.nextInt(4) == 0 ? Long.MAX_VALUE - n - r.nextInt(3) : r.nextLong(1L << 40); // also near the end
        int bound = switch (r.nextInt(4)) {
            case 0 -> 0;                               // every position
            case 1 -> 1 << 30;                         // none (keys have 30 bits)
            default -> (1 << 30) - r.nextInt(1 << 30); // some
        };
        int[] expected = new int[n];
        int m = 0;
        for (int j = 0; j < n; j++) {
            if (PositionRandom.word(stream, start + j) >>> 2 >= bound) {
                expected[m++] = j;
            }
        }
        int[] got = new int[n];
        int count = MethodKernels.positionKeysAtOrAbove(stream, start, n, bound, got);
        assertArrayEquals(Arrays.copyOf(expected, m), Arrays.copyOf(got, count), "MethodKernels");
        if ((start & 1) == 0) {
            for (MethodKernelSupport k : new MethodKernelSupport[] {REF, VEC}) {
                int[] appended = new int[n + 1];
                appended[0] = -7;
                int total = k.positionKeysAtOrAbove(stream, start, n, bound, appended, 1);
                assertEquals(-7, appended[0], k.name());
                assertArrayEquals(Arrays.copyOf(expected, m), Arrays.copyOfRange(appended, 1, total), k.name());
            }
        }
    }
}
