package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * compat's pair counts ({@link FloatKernels#countBothNonZero}, {@link FloatKernels#countSignConflicts}):
 * every implementation equals the plain loops {@code TaskVectorStats} ran before, zeros of both signs,
 * subnormals, infinities and NaN included.
 */
class SignCountKernelsPropertiesTest {

    static final KernelSupport REF = Vectorization.scalarKernels();
    static final KernelSupport VEC = Vectorization.vectorKernels().orElseThrow();

    @Property(tries = 300)
    void countsMatchThePlainLoops(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int n, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] x = FloatKernelsTest.data(r, n, specials);
        float[] y = FloatKernelsTest.data(r, n, specials);
        int both = 0;
        int conflicts = 0;
        for (int k = 0; k < n; k++) {
            int nz = (x[k] != 0f) & (y[k] != 0f) ? 1 : 0;
            both += nz;
            conflicts += nz & ((Float.floatToRawIntBits(x[k]) ^ Float.floatToRawIntBits(y[k])) >>> 31);
        }
        for (KernelSupport k : new KernelSupport[] {REF, VEC}) {
            assertEquals(both, k.countBothNonZero(x, y, n), k.name());
            assertEquals(conflicts, k.countSignConflicts(x, y, n), k.name());
        }
    }

    @Test
    void zerosOfEitherSignNeverCount() {
        float[] x = {0f, -0f, 1f, -1f, Float.NaN, -2f};
        float[] y = {-1f, 1f, -0f, 0f, -1f, 3f};
        assertEquals(2, FloatKernels.countBothNonZero(x, y, x.length));
        // (NaN, -1) and (-2, 3): the canonical NaN's sign bit is clear, so it conflicts with -1.
        assertEquals(2, FloatKernels.countSignConflicts(x, y, x.length));
        assertThrows(IndexOutOfBoundsException.class, () -> FloatKernels.countSignConflicts(x, new float[5], 6));
    }
}
