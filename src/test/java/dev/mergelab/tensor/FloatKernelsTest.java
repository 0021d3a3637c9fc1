package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The vector kernels equal the scalar reference bit for bit, and the reductions are accurate. */
public class FloatKernelsTest {

    static final KernelSupport REF = Vectorization.scalarKernels();
    static final KernelSupport VEC = Vectorization.vectorKernels().orElseThrow();

    /** Mostly ordinary weights-like values, with occasional extremes, zeros of both signs and subnormals. */
    public static float[] data(Random r, int n, boolean specials) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(20);
            x[i] = switch (kind) {
                case 0 -> specials ? Float.intBitsToFloat(r.nextInt()) : 0f;
                case 1 -> r.nextBoolean() ? -0f : 0f;
                case 2 -> Float.MIN_VALUE * r.nextInt(1000);
                case 3 -> (float) (r.nextGaussian() * 1e4);
                default -> (float) (r.nextGaussian() * 0.02);
            };
            if (!specials && !Float.isFinite(x[i])) {
                x[i] = 1f;
            }
        }
        return x;
    }

    @Property(tries = 300)
    void elementwiseKernelsMatchScalar(@ForAll long seed, @ForAll @IntRange(min = 0, max = 200) int n,
                                       @ForAll @IntRange(min = 0, max = 9) int off, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] x = data(r, n + off, specials);
        float[] y = data(r, n + off + 3, specials);
        float w = (float) r.nextGaussian();

        float[] a = y.clone();
        float[] b = y.clone();
        VEC.axpy(w, x, off, a, 3, n);
        REF.axpy(w, x, off, b, 3, n);
        assertSame(b, a, "axpy");

        VEC.scale(w, x, off, a, 1, n);
        REF.scale(w, x, off, b, 1, n);
        assertSame(b, a, "scale");

        VEC.sub(x, off, y, 3, a, 0, n);
        REF.sub(x, off, y, 3, b, 0, n);
        assertSame(b, a, "sub");

        int k = 1 + r.nextInt(5);
        float[][] xs = new float[k][];
        float[] ws = new float[k];
        for (int j = 0; j < k; j++) {
            xs[j] = data(r, n + off, specials);
            ws[j] = (float) r.nextGaussian();
        }
        VEC.weightedSum(xs, ws, off, a, 2, n);
        REF.weightedSum(xs, ws, off, b, 2, n);
        assertSame(b, a, "weightedSum");

        assertEquals(REF.maxAbs(x, off, n), VEC.maxAbs(x, off, n), 0f);
        boolean finite = true;
        for (int i = 0; i < n; i++) {
            finite &= Float.isFinite(y[i]);
        }
        assertEquals(finite, REF.allFinite(y, n), "allFinite scalar");
        assertEquals(finite, VEC.allFinite(y, n), "allFinite vector");
        int[] ka = new int[n];
        int[] kb = new int[n];
        VEC.magnitudeKeys(x, off, ka, 0, n);
        REF.magnitudeKeys(x, off, kb, 0, n);
        assertEquals(java.util.Arrays.toString(kb), java.util.Arrays.toString(ka));
        int key = n == 0 ? 0 : kb[r.nextInt(n)];
        assertEquals(REF.countMagnitudeAbove(x, off, n, key), VEC.countMagnitudeAbove(x, off, n, key));
    }

    /** 32-bit words: two per SplitMix64 output (low half first), from any start, even or odd. */
    @Property(tries = 200)
    void splitMix32MatchesTheHalvesOfSplitMix64(@ForAll long seed, @ForAll @LongRange(min = 0, max = Long.MAX_VALUE - 300) long first,
                                                @ForAll @IntRange(min = 0, max = 300) int n) {
        int[] a = new int[n + 2];
        int[] b = new int[n + 2];
        FloatKernels.splitMix32(seed, first, a, 1, n);
        for (int i = 0; i < n; i++) {
            long word = first + i;
            long out = FloatKernels.splitMix64(seed, word >>> 1);
            assertEquals((int) ((word & 1) == 0 ? out : out >>> 32), FloatKernels.splitMix32(seed, word), "definition at " + i);
            assertEquals(FloatKernels.splitMix32(seed, word), a[1 + i], "bulk at " + i);
        }
        long even = first & ~1L;
        a = new int[n + 2];
        VEC.splitMix32(seed, even, a, 0, n);
        REF.splitMix32(seed, even, b, 0, n);
        assertEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(a));
        assertEquals(0, a[n]);
    }

    /** SplitMix64 from 0: the published first outputs of the generator. */
    @Test
    void splitMix64KnownValues() {
        assertEquals(0xE220A8397B1DCDAFL, FloatKernels.splitMix64(0, 0));
        assertEquals(0x6E789E6AA1B965F4L, FloatKernels.splitMix64(0, 1));
    }

    /** NaN results may carry any payload; every other result must match bit for bit. */
    public static void assertSame(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i]) && Float.isNaN(actual[i])) {
                continue;
            }
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), what + " at " + i);
        }
    }

    @Property(tries = 200)
    void reductionsMatchScalarBitForBit(@ForAll long seed, @ForAll @IntRange(min = 0, max = 5000) int n,
                                        @ForAll @IntRange(min = 0, max = 9) int off, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] x = data(r, n + off, specials);
        float[] y = data(r, n + 5, specials);
        assertDouble(REF.dot(x, off, y, 5, n), VEC.dot(x, off, y, 5, n), "dot");
        assertDouble(REF.sumSquares(x, off, n), VEC.sumSquares(x, off, n), "sumSquares");
        assertDouble(REF.l1Norm(x, off, n), VEC.l1Norm(x, off, n), "l1");
    }

    static void assertDouble(double expected, double actual, String what) {
        if (Double.isNaN(expected) && Double.isNaN(actual)) {
            return;
        }
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                what + ": " + expected + " vs " + actual);
    }

    /** Long inputs: compiled vector loops, many blocks, and accuracy against an exact sum. */
    @Property(tries = 8)
    void reductionsAreAccurate(@ForAll long seed, @ForAll @IntRange(min = 10_000, max = 100_000) int n) {
        Random r = new Random(seed);
        float[] x = data(r, n, false);
        float[] y = data(r, n, false);
        BigDecimal exactDot = BigDecimal.ZERO;
        BigDecimal absDot = BigDecimal.ZERO;
        BigDecimal exactSq = BigDecimal.ZERO;
        BigDecimal exactL1 = BigDecimal.ZERO;
        for (int i = 0; i < n; i++) {
            BigDecimal p = new BigDecimal(x[i]).multiply(new BigDecimal(y[i]));
            exactDot = exactDot.add(p);
            absDot = absDot.add(p.abs());
            exactSq = exactSq.add(new BigDecimal(x[i]).multiply(new BigDecimal(x[i])));
            exactL1 = exactL1.add(new BigDecimal(Math.abs(x[i])));
        }
        for (KernelSupport k : new KernelSupport[] {REF, VEC}) {
            double dot = k.dot(x, 0, y, 0, n);
            // Bound: 32 float terms per lane per block -> about 32 * 2^-24 of the sum of |terms|.
            double bound = 32 * 0x1p-24 * absDot.doubleValue() + 1e-300;
            assertTrue(Math.abs(dot - exactDot.doubleValue()) <= bound, k.name() + " dot error");
            double sq = k.sumSquares(x, 0, n);
            assertTrue(Math.abs(sq - exactSq.doubleValue()) <= 32 * 0x1p-24 * exactSq.doubleValue(), "sumSquares");
            double l1 = k.l1Norm(x, 0, n);
            assertTrue(Math.abs(l1 - exactL1.doubleValue()) <= 32 * 0x1p-24 * exactL1.doubleValue(), "l1");
        }
        assertDouble(REF.dot(x, 0, y, 0, n), VEC.dot(x, 0, y, 0, n), "long dot");
        assertDouble(REF.sumSquares(x, 0, n), VEC.sumSquares(x, 0, n), "long sumSquares");
        assertDouble(REF.l1Norm(x, 0, n), VEC.l1Norm(x, 0, n), "long l1");
        assertEquals(new BigDecimal(exactSq.doubleValue()).round(MathContext.DECIMAL32).doubleValue(),
                new BigDecimal(VEC.sumSquares(x, 0, n)).round(MathContext.DECIMAL32).doubleValue(),
                exactSq.doubleValue() * 1e-5);
    }

    @Test
    void edgeCases() {
        float[] x = {1f, -2f, Float.NaN, 3f};
        assertTrue(Float.isNaN(FloatKernels.maxAbs(x, 0, 4)));
        assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(FloatKernels.maxAbs(x, 0, 4)));
        assertEquals(2f, FloatKernels.maxAbs(x, 0, 2));
        assertEquals(0f, FloatKernels.maxAbs(x, 0, 0));
        assertEquals(0.0, FloatKernels.dot(x, 0, x, 0, 0));
        assertTrue(Double.isNaN(FloatKernels.sumSquares(x, 0, 4)));
        assertEquals(Double.POSITIVE_INFINITY, FloatKernels.l1Norm(new float[] {1f, Float.NEGATIVE_INFINITY}, 0, 2));

        // One input with weight 1 is copied exactly, signed zeros included.
        float[] in = {-0f, 0f, 1.5f, -3e-42f, Float.MAX_VALUE, -0f, 7f, 8f, 9f};
        float[] out = new float[in.length];
        FloatKernels.weightedSum(new float[][] {in}, new float[] {1f}, 0, out, 0, in.length);
        CodecPropertiesTest.assertBits(in, out, "identity");
        assertThrows(IllegalArgumentException.class,
                () -> FloatKernels.weightedSum(new float[][] {in}, new float[] {1f, 2f}, 0, out, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> FloatKernels.dot(in, 5, in, 0, 5));

        // axpy is fused: one rounding.
        float[] acc = {1f};
        float w = 1f + 0x1p-12f;
        FloatKernels.axpy(w, new float[] {1f - 0x1p-12f}, 0, acc, 0, 1);
        assertEquals(Math.fma(w, 1f - 0x1p-12f, 1f), acc[0], 0f);
    }

    @Test
    void reductionDoesNotDependOnVectorWidth() {
        // The reference layout spelled out for a small case: 70 elements -> lanes 0..31 get elements
        // i, i+32, i+64 (when present), summed in float, then lane by lane into double.
        Random r = new Random(1);
        float[] x = data(r, 70, false);
        float[] s = new float[32];
        for (int i = 0; i < 70; i++) {
            s[i % 32] = Math.fma(x[i], x[i], s[i % 32]);
        }
        double expected = 0;
        for (int j = 0; j < 32; j++) {
            expected += (double) s[j];
        }
        assertEquals(expected, FloatKernels.sumSquares(x, 0, 70), 0.0);
    }
}
