package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.FloatKernels;
import dev.mergelab.tensor.FloatKernelsTest;
import dev.mergelab.tensor.KernelSupport;
import dev.mergelab.tensor.Vectorization;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The merge methods' mask, rank and election kernels: the vector form equals the scalar reference bit for bit. */
class MethodKernelsTest {

    static final MethodKernelSupport REF = MethodKernels.scalar();
    static final MethodKernelSupport VEC = MethodKernels.vector().orElseThrow();
    static final KernelSupport TENSOR_REF = Vectorization.scalarKernels();
    static final KernelSupport TENSOR_VEC = Vectorization.vectorKernels().orElseThrow();

    /**
     * Bernoulli keep masks from 32-bit words, zeroing by a mask and packing a mask into bits: vector =
     * scalar = the definition, from any position (odd word starts, bit positions inside a word) and
     * with thresholds at the unsigned extremes.
     */
    @Property(tries = 300)
    void maskKernelsMatchScalar(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int n,
                                @ForAll @IntRange(min = 0, max = 200) int first, @ForAll boolean specials) {
        Random r = new Random(seed);
        int threshold = switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> -1;   // 2^32 − 1 unsigned
            default -> r.nextInt();
        };
        int[] keep = new int[n + 1];
        MethodKernels.keepWordsBelow(seed, first, threshold, keep, n);
        for (int i = 0; i < n; i++) {
            boolean below = Integer.compareUnsigned(FloatKernels.splitMix32(seed, first + i), threshold) < 0;
            assertEquals(below ? -1 : 0, keep[i], "keep at " + i);
        }
        int[] a = new int[n + 2];
        int[] b = new int[n + 2];
        long even = first & ~1L;
        VEC.keepWordsBelow(seed, even, threshold, a, 1, n);
        REF.keepWordsBelow(seed, even, threshold, b, 1, n);
        assertEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(a));

        float[] x = FloatKernelsTest.data(r, n, specials);
        float[] expected = x.clone();
        for (int i = 0; i < n; i++) {
            expected[i] = keep[i] != 0 ? x[i] : 0f;
        }
        float[] u = x.clone();
        float[] v = x.clone();
        VEC.zeroDropped(u, keep, n);
        REF.zeroDropped(v, keep, n);
        FloatKernelsTest.assertSame(expected, v, "zeroDropped scalar");
        FloatKernelsTest.assertSame(v, u, "zeroDropped vector");

        long[] bitsA = new long[(first + n + 63) / 64 + 1];
        for (int w = 0; w < bitsA.length; w++) {
            bitsA[w] = r.nextLong();
        }
        long[] bitsB = bitsA.clone();
        long[] want = bitsA.clone();
        for (int i = 0; i < n; i++) {
            long bit = 1L << ((first + i) & 63);
            int w = (first + i) >>> 6;
            want[w] = keep[i] != 0 ? want[w] | bit : want[w] & ~bit;
        }
        VEC.packKeep(keep, n, bitsA, first);
        REF.packKeep(keep, n, bitsB, first);
        assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(bitsB), "packKeep scalar");
        assertEquals(java.util.Arrays.toString(bitsB), java.util.Arrays.toString(bitsA), "packKeep vector");
    }

    /**
     * della's draw band: vector = scalar = the rule (unsigned draws against low and high: −1 below
     * low, 1 in the band, 0 above; draws equal to either bound and bounds near 2^32), keys and their
     * AND/OR.
     */
    @Property(tries = 300)
    void drawBandMatchesScalar(@ForAll long seed, @ForAll @IntRange(min = 0, max = 200) int n,
                               @ForAll @IntRange(min = 0, max = 9) int off, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] x = FloatKernelsTest.data(r, n + off, specials);
        int[] draws = new int[n + off];
        int low = r.nextInt();
        int high = r.nextBoolean() ? low + r.nextInt(1 << 30) : r.nextInt();
        if (Integer.compareUnsigned(low, high) > 0) {
            int t = low;
            low = high;
            high = t;
        }
        for (int i = 0; i < draws.length; i++) {
            int kind = r.nextInt(4);
            draws[i] = kind == 0 ? low : kind == 1 ? high : r.nextInt();
        }
        int[][] a = {new int[n], new int[n + off]};
        int[][] b = {new int[n], new int[n + off]};
        long va = VEC.drawBand(x, draws, off, n, low, high, a[0], a[1]);
        long vb = REF.drawBand(x, draws, off, n, low, high, b[0], b[1]);
        int all = 0x7FFFFFFF;
        int any = 0;
        for (int i = 0; i < n; i++) {
            int key = Float.floatToRawIntBits(x[off + i]) & 0x7FFFFFFF;
            assertEquals(key, b[0][i]);
            all &= key;
            any |= key;
            long d = draws[off + i] & 0xFFFFFFFFL;
            int expected = d < (low & 0xFFFFFFFFL) ? -1 : d < (high & 0xFFFFFFFFL) ? 1 : 0;
            assertEquals(expected, b[1][off + i], "keep/band at " + i);
        }
        assertEquals((long) all << 32 | (any & 0xFFFFFFFFL), vb);
        assertEquals(vb, va);
        for (int k = 0; k < 2; k++) {
            assertEquals(java.util.Arrays.toString(b[k]), java.util.Arrays.toString(a[k]));
        }
    }

    /** Stable ranks of magnitude keys with many ties: vector = scalar = counting by the definition. */
    @Property(tries = 300)
    void stableRankMatchesScalar(@ForAll long seed, @ForAll @IntRange(min = 1, max = 200) int n) {
        Random r = new Random(seed);
        int distinct = 1 + r.nextInt(n);
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) {
            keys[i] = r.nextInt(distinct) * (1 + r.nextInt(2)) + (r.nextInt(10) == 0 ? 0x7F000000 : 0);
        }
        for (int k = 0; k < n; k++) {
            int expected = 0;
            for (int j = 0; j < n; j++) {
                expected += keys[j] < keys[k] || keys[j] == keys[k] && j < k ? 1 : 0;
            }
            assertEquals(expected, REF.stableRank(keys, n, k), "scalar rank of " + k);
            assertEquals(expected, VEC.stableRank(keys, n, k), "vector rank of " + k);
        }
    }

    /**
     * The magnitude window: vector = scalar = the per-element rule, chunk after chunk (quotas carried),
     * with cut keys taken from the data so ties are common, including both cuts at one key, one cut
     * (highKey = MAX_VALUE), quotas running out inside a vector, zeros of both signs and NaN keys.
     */
    @Property(tries = 300)
    void magnitudeWindowMatchesScalar(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int n,
                                      @ForAll @IntRange(min = 1, max = 40) int chunk, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] pool = FloatKernelsTest.data(r, 1 + r.nextInt(12), specials);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextBoolean() ? pool[r.nextInt(pool.length)] : -pool[r.nextInt(pool.length)];
        }
        int lowKey = n == 0 ? 0 : Float.floatToRawIntBits(x[r.nextInt(n)]) & 0x7FFFFFFF;
        int highKey = switch (r.nextInt(3)) {
            case 0 -> Integer.MAX_VALUE;
            case 1 -> lowKey;
            default -> n == 0 ? 0 : Float.floatToRawIntBits(x[r.nextInt(n)]) & 0x7FFFFFFF;
        };
        long[] start = {r.nextInt(6), highKey == Integer.MAX_VALUE ? 0 : r.nextInt(6)};
        float scale = r.nextBoolean() ? 1f : (float) (1 + r.nextDouble());

        float[] expected = x.clone();
        long lowTies = start[0];
        long highTies = start[1];
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits(x[i]);
            int key = bits & 0x7FFFFFFF;
            boolean inLow = key > lowKey || (key == lowKey && lowTies-- > 0);
            boolean inHigh = key > highKey || (key == highKey && highTies-- > 0);
            expected[i] = Float.intBitsToFloat(inLow && !inHigh ? bits : 0) * scale;
        }
        for (MethodKernelSupport k : new MethodKernelSupport[] {REF, VEC}) {
            float[] y = x.clone();
            long[] ties = start.clone();
            for (int at = 0; at < n; at += chunk) {
                float[] part = java.util.Arrays.copyOfRange(y, at, Math.min(n, at + chunk));
                k.magnitudeWindow(part, part.length, lowKey, highKey, ties, scale);
                System.arraycopy(part, 0, y, at, part.length);
            }
            FloatKernelsTest.assertSame(expected, y, k.name());
            assertEquals(Math.max(0, lowTies), ties[0], k.name() + " low quota");
            assertEquals(Math.max(0, highTies), ties[1], k.name() + " high quota");
        }
    }

    /**
     * The same agreement while the JIT compiles the kernels (interpreter, C1, C2, on-stack replacement),
     * used as top-k uses them: hundreds of engine-sized chunks of a bf16 task vector, one cut with about
     * 2% of the elements tied at it and a quota that lasts. (A version that built the tie lanes with
     * VectorMask.fromLong went wrong after about 50 such calls, in a compilation made while warming up;
     * short property runs stay interpreted and did not see it.)
     */
    @Test
    void vectorKernelsAgreeWhileTheJitWarmsUp() {
        Random r = new Random(5);
        int n = 1 << 15;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float base = Codecs.bf16ToFloat(Codecs.floatToBf16((float) (r.nextGaussian() * 0.02)));
            x[i] = Codecs.bf16ToFloat(Codecs.floatToBf16(base + (float) (r.nextGaussian() * 0.002))) - base;
        }
        int cut = 0x3ab00000;   // the median magnitude key of this data
        long[] a = {1L << 40, 0};
        long[] b = a.clone();
        long[] bitsA = new long[n];
        long[] bitsB = new long[n];
        int[] wordsA = new int[n];
        int[] wordsB = new int[n];
        int[] keysA = new int[n];
        int[] keysB = new int[n];
        int[] keepA = new int[n];
        int[] keepB = new int[n];
        for (int call = 0; call < 600; call++) {
            float[] u = x.clone();
            float[] v = x.clone();
            VEC.magnitudeWindow(u, n, cut, Integer.MAX_VALUE, a, 1f);
            REF.magnitudeWindow(v, n, cut, Integer.MAX_VALUE, b, 1f);
            FloatKernelsTest.assertSame(v, u, "magnitudeWindow call " + call);
            assertEquals(b[0], a[0], "quota after call " + call);
            VEC.keepWordsBelow(call, 2L * call * n, 0x7FFFFFFF, keepA, 0, n);
            REF.keepWordsBelow(call, 2L * call * n, 0x7FFFFFFF, keepB, 0, n);
            assertEquals(java.util.Arrays.hashCode(keepB), java.util.Arrays.hashCode(keepA), "keepWordsBelow call " + call);
            VEC.packKeep(keepB, n - 5, bitsA, call);
            REF.packKeep(keepB, n - 5, bitsB, call);
            assertEquals(java.util.Arrays.hashCode(bitsB), java.util.Arrays.hashCode(bitsA), "packKeep call " + call);
            u = x.clone();
            v = x.clone();
            VEC.zeroDropped(u, keepB, n - 1);
            REF.zeroDropped(v, keepB, n - 1);
            FloatKernelsTest.assertSame(v, u, "zeroDropped call " + call);
            TENSOR_VEC.splitMix32(call, 2L * call * n, wordsA, 0, n);
            TENSOR_REF.splitMix32(call, 2L * call * n, wordsB, 0, n);
            assertEquals(java.util.Arrays.hashCode(wordsB), java.util.Arrays.hashCode(wordsA), "splitMix32 call " + call);
            int lowT = 0x66666666;
            int highT = 0x9999999A;
            long andOrA = VEC.drawBand(x, wordsB, 1, n - 1, lowT, highT, keysA, keepA);
            long andOrB = REF.drawBand(x, wordsB, 1, n - 1, lowT, highT, keysB, keepB);
            assertEquals(andOrB, andOrA, "drawBand AND/OR call " + call);
            assertEquals(java.util.Arrays.hashCode(keepB), java.util.Arrays.hashCode(keepA), "drawBand keep call " + call);
            int k = (call * 7919) % 2048;
            assertEquals(REF.stableRank(keysB, 2048, k), VEC.stableRank(keysB, 2048, k), "stableRank call " + call);
            u = x.clone();
            v = x.clone();
            VEC.keepBits(u, n - 3, bitsB, call);
            REF.keepBits(v, n - 3, bitsB, call);
            FloatKernelsTest.assertSame(v, u, "keepBits call " + call);
        }
    }

    /** A stored keep mask: vector = scalar = the bit rule, from any bit position (vectors crossing words). */
    @Property(tries = 300)
    void keepBitsMatchesScalar(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int n,
                               @ForAll @IntRange(min = 0, max = 200) int first, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[] x = FloatKernelsTest.data(r, n, specials);
        long[] bits = new long[(first + n + 63) / 64 + 1];
        for (int w = 0; w < bits.length; w++) {
            bits[w] = r.nextLong();
        }
        float[] expected = x.clone();
        for (int i = 0; i < n; i++) {
            boolean keep = (bits[(first + i) / 64] >>> ((first + i) % 64) & 1) == 1;
            expected[i] = keep ? x[i] : 0f;
        }
        for (MethodKernelSupport k : new MethodKernelSupport[] {REF, VEC}) {
            float[] y = x.clone();
            k.keepBits(y, n, bits, first);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(y[i]), k.name() + " at " + i);
            }
        }
    }

    /**
     * The vectorised TIES combine equals the scalar reference bit for bit, including sign ties (zero
     * votes, exactly cancelling terms, ±0 deltas, negative weights) and lengths that leave a tail.
     */
    @Test
    void electedMixesVectorEqualScalar() {
        java.util.Random r = new java.util.Random(11);
        for (int trial = 0; trial < 200; trial++) {
            int models = 1 + r.nextInt(4);
            int n = r.nextInt(70);
            float[][] d = new float[models][n];
            float[] w = new float[models];
            for (int i = 0; i < models; i++) {
                w[i] = r.nextInt(5) == 0 ? -r.nextFloat() : r.nextFloat() * 2;
                for (int j = 0; j < n; j++) {
                    int kind = r.nextInt(8);
                    d[i][j] = kind == 0 ? 0f : kind == 1 ? -0f : kind == 2 && i > 0 ? -d[0][j] : (float) r.nextGaussian();
                }
            }
            float[] base = new float[n];
            for (int j = 0; j < n; j++) {
                base[j] = (float) r.nextGaussian();
            }
            for (boolean normalize : new boolean[] {true, false}) {
                float[] a = new float[n];
                float[] b = new float[n];
                REF.electedMix(d, w, base, 0.7f, normalize, a, n);
                VEC.electedMix(d, w, base, 0.7f, normalize, b, n);
                float[] c = new float[n];
                float[] e = new float[n];
                // PEFT's variant: unweighted election, by value (normalize=false) or by sign (normalize=true).
                REF.countElectedMix(d, w, normalize, base, c, n);
                VEC.countElectedMix(d, w, normalize, base, e, n);
                for (int j = 0; j < n; j++) {
                    org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(c[j]), Float.floatToRawIntBits(e[j]),
                            "PEFT election, trial " + trial + " element " + j);
                }
                for (int j = 0; j < n; j++) {
                    org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]),
                            "trial " + trial + " element " + j);
                }
            }
        }
    }
}
