package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.method.kernel.PositionRandom;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link FloatKernels#positionKeysAtOrAbove}: its SplitMix64 is {@link PositionRandom#bits}, and the
 * vector scan finds exactly the offsets the scalar loop finds, in order.
 */
class PositionKeysPropertiesTest {

    static final KernelSupport REF = Vectorization.scalarKernels();
    static final KernelSupport VEC = Vectorization.vectorKernels().orElseThrow();

    @Property(tries = 200)
    void splitMixIsPositionRandom(@ForAll long stream, @ForAll long position) {
        assertEquals(PositionRandom.bits(stream, position), ScalarKernelSupport.splitMix(stream, position));
    }

    @Property(tries = 300)
    void vectorScanFindsTheScalarOffsets(@ForAll long stream, @ForAll long seed, @ForAll @IntRange(min = 0, max = 3000) int n) {
        SplittableRandom r = new SplittableRandom(seed);
        long start = r.nextInt(4) == 0 ? r.nextLong() : r.nextLong(1L << 40); // also near the long wrap-around
        int bound = switch (r.nextInt(4)) {
            case 0 -> 0;                               // every position
            case 1 -> 1 << 30;                         // none (keys have 30 bits)
            default -> (1 << 30) - r.nextInt(1 << 30); // some
        };
        int[] expected = new int[n];
        int m = 0;
        for (int j = 0; j < n; j++) {
            if ((int) (PositionRandom.bits(stream, start + j) >>> 34) >= bound) {
                expected[m++] = j;
            }
        }
        for (KernelSupport k : new KernelSupport[] {REF, VEC}) {
            int[] got = new int[n];
            int count = k.positionKeysAtOrAbove(stream, start, n, bound, got);
            assertArrayEquals(Arrays.copyOf(expected, m), Arrays.copyOf(got, count), k.name());
        }
    }
}
