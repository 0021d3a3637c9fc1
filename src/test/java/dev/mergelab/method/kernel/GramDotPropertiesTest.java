package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** {@link Gram#dot}: the dispatched (vector when loaded) form equals the scalar reference bit for bit, and is accurate. */
class GramDotPropertiesTest {

    static float[] values(SplittableRandom r, int n, int kind) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind) {
                case 0 -> (float) r.nextGaussian();
                case 1 -> (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-60, 60))); // wide exponents
                default -> 0.02f + (float) (1e-4 * r.nextGaussian());                      // near-equal, cancelling
            };
        }
        return v;
    }

    @Property(tries = 300)
    void vectorEqualsScalarReference(@ForAll @IntRange(min = 0, max = 3000) int n, @ForAll @LongRange long seed,
            @ForAll @IntRange(min = 0, max = 2) int kind) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = values(r, n, kind);
        float[] y = values(r, n, kind);
        double got = Gram.dot(x, y, n);
        double want = Gram.dotScalar(x, y, n);
        assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got), () -> "n=" + n + ": " + got + " vs " + want);
    }

    /** Products are exact in double, so the only error is the double summation: far below float32 accuracy. */
    @Property(tries = 100)
    void accurateToDoubleRounding(@ForAll @IntRange(min = 1, max = 3000) int n, @ForAll @LongRange long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = values(r, n, 0);
        float[] y = values(r, n, 0);
        BigDecimal exact = BigDecimal.ZERO;
        double magnitude = 0;
        for (int i = 0; i < n; i++) {
            exact = exact.add(new BigDecimal((double) x[i] * y[i]));
            magnitude += Math.abs((double) x[i] * y[i]);
        }
        // doubleValue() rounds the exact sum correctly: that rounding plus one per addition.
        double err = Math.abs(Gram.dot(x, y, n) - exact.doubleValue());
        assertTrue(err <= (n + 1) * 0x1p-52 * magnitude + Double.MIN_VALUE, "error " + err + " of magnitude " + magnitude);
    }
}
