package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.FloatKernelsTest;
import java.util.Random;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * arcee_fusion's kernels. {@link MethodKernels#softmaxKl}: the vector kernel equals the scalar reference
 * bit for bit, the reference agrees with the plain {@code Math.exp}/{@code Math.log} formula it replaces,
 * and its own exponential and logarithm stay within a few ulp of {@link StrictMath}. The importance it
 * scales and the combine ({@link MethodKernels#scaledAbsDifference}, {@link MethodKernels#keepLargeChanges})
 * equal the per-element formulas in every implementation.
 */
class ArceeKernelsPropertiesTest {

    static final MethodKernelSupport REF = MethodKernels.scalar();
    static final MethodKernelSupport VEC = MethodKernels.vector().orElseThrow();

    /** KL(softmax x + eps ‖ softmax y + eps) as arcee_fusion computed it before the kernel: Math, running sums. */
    static double plainFormula(float[] x, float[] y, int off, int len, double eps) {
        double[] p = softmax(x, off, len);
        double[] q = softmax(y, off, len);
        double kl = 0;
        for (int k = 0; k < len; k++) {
            double pk = p[k] + eps;
            double qk = q[k] + eps;
            kl += pk * Math.log(pk / qk);
        }
        return kl;
    }

    private static double[] softmax(float[] x, int off, int len) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
            max = Math.max(max, x[off + k]);
        }
        double[] out = new double[len];
        double sum = 0;
        for (int k = 0; k < len; k++) {
            out[k] = Math.exp(x[off + k] - max);
            sum += out[k];
        }
        for (int k = 0; k < len; k++) {
            out[k] /= sum;
        }
        return out;
    }

    /** A row like a weight row and its fine-tune: N(0, scale) plus a small N(0, scale/5) change. */
    static float[][] rowPair(Random r, int n, double scale) {
        float[] base = new float[n];
        float[] other = new float[n];
        for (int i = 0; i < n; i++) {
            base[i] = (float) (r.nextGaussian() * scale);
            other[i] = base[i] + (float) (r.nextGaussian() * scale / 5);
        }
        return new float[][] {other, base};
    }

    /** Rounds every value to bfloat16 (a bf16 checkpoint's rows take the table path). */
    static float[] bf16(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Float.isNaN(x[i]) ? x[i] : Codecs.bf16ToFloat(Codecs.floatToBf16(x[i]));
        }
        return out;
    }

    @Property(tries = 300)
    void vectorEqualsScalarBitForBit(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int len,
                                     @ForAll @IntRange(min = 0, max = 9) int off, @ForAll boolean specials,
                                     @ForAll boolean bf16) {
        Random r = new Random(seed);
        float[] x = FloatKernelsTest.data(r, len + off, specials);
        float[] y = FloatKernelsTest.data(r, len + off, specials);
        if (bf16) {
            x = bf16(x);
            y = r.nextInt(4) == 0 ? y : bf16(y);   // sometimes one row looked up, the other computed
        }
        double eps = r.nextBoolean() ? 1e-8 : 0x1p-1000;
        double[] s1 = new double[2 * len + r.nextInt(3)];
        double[] s2 = s1.clone();
        double a = VEC.softmaxKl(x, y, off, len, eps, s1);
        double b = REF.softmaxKl(x, y, off, len, eps, s2);
        assertTrue(Double.doubleToLongBits(a) == Double.doubleToLongBits(b), "vector " + a + ", scalar " + b);
    }

    @Property(tries = 200)
    void agreesWithThePlainFormula(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3000) int len,
                                   @ForAll @IntRange(min = 0, max = 2) int scaleChoice, @ForAll boolean bf16) {
        double scale = new double[] {0.02, 1, 30}[scaleChoice];
        float[][] xy = rowPair(new Random(seed), len, scale);
        if (bf16) {   // looked up (|x| ≤ 64), or computed where a row reaches beyond
            xy = new float[][] {bf16(xy[0]), bf16(xy[1])};
        }
        double kl = MethodKernels.softmaxKl(xy[0], xy[1], 0, len, 1e-8, new double[2 * len]);
        double plain = plainFormula(xy[0], xy[1], 0, len, 1e-8);
        // Both round the two normalising sums differently (about len·2^-53 relative), which moves every
        // log ratio, and so the divergence, by up to about that much in absolute terms.
        assertEquals(plain, kl, 1e-12 + 1e-9 * Math.abs(plain), "len " + len + " scale " + scale);
        assertTrue(kl >= 0 || Math.abs(kl) < 1e-15, "a divergence is not negative: " + kl);
    }

    /** The table path is taken exactly for bf16 rows within ±64, and both paths give nearly the same divergence. */
    @Property(tries = 100)
    void tableRowsAreTheBf16RowsWithin64(@ForAll long seed, @ForAll @IntRange(min = 1, max = 2000) int len) {
        Random r = new Random(seed);
        float[][] xy = rowPair(r, len, 0.02);
        float[] x = bf16(xy[0]);
        float[] y = bf16(xy[1]);
        assertTrue(SoftmaxKl.tableRow(x, 0, len));
        float[] nudged = x.clone();
        nudged[r.nextInt(len)] = Float.intBitsToFloat(Float.floatToRawIntBits(0.01f) | 1);   // not a bf16 value
        float[] large = x.clone();
        large[r.nextInt(len)] = 64.5f;                                        // bf16, beyond the limit
        float[] edge = x.clone();
        edge[r.nextInt(len)] = -64f;                                          // exactly at it
        assertTrue(!SoftmaxKl.tableRow(nudged, 0, len));
        assertTrue(!SoftmaxKl.tableRow(large, 0, len));
        assertTrue(SoftmaxKl.tableRow(edge, 0, len));
        double kl = MethodKernels.softmaxKl(x, y, 0, len, 1e-8, new double[2 * len]);
        double plain = plainFormula(x, y, 0, len, 1e-8);
        assertEquals(plain, kl, 1e-12 + 1e-9 * Math.abs(plain));
    }

    @Property(tries = 100)
    void aRowAgainstItselfIsExactlyZero(@ForAll long seed, @ForAll @IntRange(min = 1, max = 500) int len) {
        float[] x = FloatKernelsTest.data(new Random(seed), len, false);
        assertEquals(0.0, MethodKernels.softmaxKl(x, x, 0, len, 1e-8, new double[2 * len]));
    }

    /** The importance that the divergence scales: every implementation equals the per-element formula. */
    @Property(tries = 300)
    void scaledAbsDifferenceMatchesTheFormula(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int n,
                                              @ForAll @IntRange(min = 0, max = 9) int off, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] x = FloatKernelsTest.data(r, n + off, specials);
        float[] y = FloatKernelsTest.data(r, n + off, specials);
        double s = r.nextBoolean() ? r.nextDouble() * 1e-4 : r.nextGaussian() * 1e30;
        for (MethodKernelSupport k : new MethodKernelSupport[] {REF, VEC}) {
            float[] out = new float[n + 2];
            k.scaledAbsDifference(x, y, off, n, s, out, 2);
            for (int i = 0; i < n; i++) {
                float expected = (float) (Math.abs((double) x[off + i] - y[off + i]) * s);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(out[2 + i]), k.name() + " at " + i);
            }
        }
    }

    @Property(tries = 300)
    void keepLargeChangesMatchesTheFormula(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int n,
                                           @ForAll @IntRange(min = 0, max = 9) int off, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] x = FloatKernelsTest.data(r, n + off, specials);
        float[] b = FloatKernelsTest.data(r, n + off, specials);
        double s = r.nextDouble() * 1e-4;
        float[] importance = new float[n];
        REF.scaledAbsDifference(x, b, off, n, s, importance, 0);
        // A threshold among the importances, so both branches are taken.
        float threshold = n == 0 ? 0f : importance[r.nextInt(n)];
        for (MethodKernelSupport k : new MethodKernelSupport[] {REF, VEC}) {
            float[] out = new float[n + 1];
            k.keepLargeChanges(x, b, off, n, s, threshold, out, 1);
            for (int i = 0; i < n; i++) {
                float bi = b[off + i];
                float expected = importance[i] >= threshold ? bi + (x[off + i] - bi) : bi;
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(out[1 + i]), k.name() + " at " + i);
            }
        }
    }

    @Test
    void nanInARowGivesNan() {
        float[] x = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};
        float[] y = x.clone();
        y[7] = Float.NaN;
        for (MethodKernelSupport k : new MethodKernelSupport[] {REF, VEC}) {
            assertTrue(Double.isNaN(k.softmaxKl(x, y, 0, x.length, 1e-8, new double[20])), k.name());
            assertTrue(Double.isNaN(k.softmaxKl(y, x, 0, x.length, 1e-8, new double[20])), k.name());
        }
    }

    @Test
    void checksItsArguments() {
        float[] x = new float[8];
        assertThrows(IndexOutOfBoundsException.class, () -> MethodKernels.softmaxKl(x, x, 2, 8, 1e-8, new double[16]));
        assertThrows(IndexOutOfBoundsException.class, () -> MethodKernels.softmaxKl(x, x, 0, 8, 1e-8, new double[15]));
        assertThrows(IllegalArgumentException.class, () -> MethodKernels.softmaxKl(x, x, 0, 8, 0, new double[16]));
        assertThrows(IllegalArgumentException.class, () -> MethodKernels.softmaxKl(x, x, 0, 8, Double.NaN, new double[16]));
        assertThrows(IllegalArgumentException.class, () -> MethodKernels.softmaxKl(x, x, 0, 8, Double.POSITIVE_INFINITY, new double[16]));
    }

    /** |a − b| in units of b's ulp. */
    static double ulps(double a, double b) {
        return Math.abs(a - b) / Math.ulp(b);
    }

    @Property(tries = 20)
    void expIsWithinTwoUlp(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 50_000; i++) {
            double x = switch (i % 4) {
                case 0 -> -r.nextDouble() * 0.5;
                case 1 -> -r.nextDouble() * 708;
                case 2 -> -r.nextDouble() * 1e-6;
                default -> -r.nextDouble() * 5;
            };
            assertTrue(ulps(SoftmaxKl.exp(x), StrictMath.exp(x)) <= 2, "exp(" + x + ") = " + SoftmaxKl.exp(x));
        }
    }

    @Test
    void expEdges() {
        assertEquals(1.0, SoftmaxKl.exp(0.0));
        assertEquals(1.0, SoftmaxKl.exp(-0.0));
        assertEquals(0.0, SoftmaxKl.exp(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, SoftmaxKl.exp(-708.0001), "below the cut-off (results under 3.3e-308) e^x is 0");
        assertTrue(ulps(SoftmaxKl.exp(-708), StrictMath.exp(-708)) <= 2);
        assertTrue(Double.isNaN(SoftmaxKl.exp(Double.NaN)));
    }

    @Property(tries = 20)
    void logIsWithinThreeUlp(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 50_000; i++) {
            double y = switch (i % 4) {
                case 0 -> 1 + (r.nextDouble() - 0.5) * 0.02;
                case 1 -> Math.exp((r.nextDouble() - 0.5) * 40);
                case 2 -> 0.5 + r.nextDouble() * 1.5;
                default -> Double.longBitsToDouble(r.nextLong(0x0010000000000000L, 0x7FF0000000000000L));
            };
            double exact = StrictMath.log(y);
            double ours = SoftmaxKl.log(y);
            assertTrue(exact == 0 ? ours == 0 : ulps(ours, exact) <= 3, "log(" + y + ") = " + ours + ", StrictMath " + exact);
        }
    }

    @Test
    void logEdges() {
        assertEquals(0.0, SoftmaxKl.log(1.0));
        assertEquals(StrictMath.log(Double.MIN_NORMAL), SoftmaxKl.log(Double.MIN_NORMAL));
        assertEquals(StrictMath.log(Double.MAX_VALUE), SoftmaxKl.log(Double.MAX_VALUE));
        assertEquals(Double.POSITIVE_INFINITY, SoftmaxKl.log(Double.POSITIVE_INFINITY));
        assertTrue(Double.isNaN(SoftmaxKl.log(Double.NaN)));
        assertTrue(ulps(SoftmaxKl.log(Math.sqrt(2)), StrictMath.log(Math.sqrt(2))) <= 1);
    }
}
