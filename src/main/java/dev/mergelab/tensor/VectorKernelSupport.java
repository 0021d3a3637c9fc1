package dev.mergelab.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. Element-wise kernels use the preferred float species with a scalar tail that
 * performs the same single operation per element. Reductions keep {@link #REDUCTION_LANES} logical
 * float lanes spread over {@code N = 32 / V} accumulator registers for a {@code V}-lane species
 * (8 on 128-bit NEON/SSE, 4 on AVX2, 2 on AVX-512), so the arithmetic, and therefore the result, is
 * the same on every machine and equal to {@link ScalarKernelSupport}. The {@code if (N > ...)} tests
 * are on constants and vanish when compiled.
 */
final class VectorKernelSupport implements KernelSupport {

    private static final VectorSpecies<Float> F = VectorCodecSupport.floatSpecies();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, F.vectorShape());
    private static final int V = F.length();
    private static final int L = REDUCTION_LANES;
    private static final int N = L / V;

    static final VectorKernelSupport INSTANCE = new VectorKernelSupport();

    private VectorKernelSupport() {
    }

    /**
     * The reduction layout needs a lane count that splits 32 lanes into 2 to 8 registers, and
     * {@link VectorSoftmaxKl}'s one that splits its 8 double lanes; the provider uses these kernels only then.
     */
    static boolean available() {
        return V >= 4 && V <= L / 2 && L % V == 0 && VectorSoftmaxKl.available();
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    // ---- element-wise -----------------------------------------------------------------------------

    @Override
    public void axpy(float w, float[] x, int xOff, float[] out, int outOff, int n) {
        FloatVector wv = FloatVector.broadcast(F, w);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector o = FloatVector.fromArray(F, out, outOff + i);
            wv.fma(FloatVector.fromArray(F, x, xOff + i), o).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = Math.fma(w, x[xOff + i], out[outOff + i]);
        }
    }

    @Override
    public void weightedSum(float[][] xs, float[] weights, int xOff, float[] out, int outOff, int n) {
        int k = xs.length;
        float w0 = weights[0];
        float[] x0 = xs[0];
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector acc = FloatVector.fromArray(F, x0, xOff + i).mul(w0);
            for (int j = 1; j < k; j++) {
                acc = FloatVector.fromArray(F, xs[j], xOff + i).fma(FloatVector.broadcast(F, weights[j]), acc);
            }
            acc.intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            float acc = w0 * x0[xOff + i];
            for (int j = 1; j < k; j++) {
                acc = Math.fma(weights[j], xs[j][xOff + i], acc);
            }
            out[outOff + i] = acc;
        }
    }

    @Override
    public void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(F, x, xOff + i).mul(s).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = x[xOff + i] * s;
        }
    }

    @Override
    public void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(F, a, aOff + i).sub(FloatVector.fromArray(F, b, bOff + i))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] - b[bOff + i];
        }
    }

    // ---- reductions -------------------------------------------------------------------------------

    @Override
    public double dot(float[] x, int xOff, float[] y, int yOff, int n) {
        double[] lanes = new double[L];
        float[] s = new float[L];
        for (int b = 0; b < n; b += REDUCTION_BLOCK) {
            int len = Math.min(REDUCTION_BLOCK, n - b);
            int rows = len & -L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int r = 0; r < rows; r += L) {
                int p = xOff + b + r;
                int q = yOff + b + r;
                a0 = FloatVector.fromArray(F, x, p).fma(FloatVector.fromArray(F, y, q), a0);
                a1 = FloatVector.fromArray(F, x, p + V).fma(FloatVector.fromArray(F, y, q + V), a1);
                if (N > 2) {
                    a2 = FloatVector.fromArray(F, x, p + 2 * V).fma(FloatVector.fromArray(F, y, q + 2 * V), a2);
                    a3 = FloatVector.fromArray(F, x, p + 3 * V).fma(FloatVector.fromArray(F, y, q + 3 * V), a3);
                }
                if (N > 4) {
                    a4 = FloatVector.fromArray(F, x, p + 4 * V).fma(FloatVector.fromArray(F, y, q + 4 * V), a4);
                    a5 = FloatVector.fromArray(F, x, p + 5 * V).fma(FloatVector.fromArray(F, y, q + 5 * V), a5);
                    a6 = FloatVector.fromArray(F, x, p + 6 * V).fma(FloatVector.fromArray(F, y, q + 6 * V), a6);
                    a7 = FloatVector.fromArray(F, x, p + 7 * V).fma(FloatVector.fromArray(F, y, q + 7 * V), a7);
                }
            }
            spill(s, a0, a1, a2, a3, a4, a5, a6, a7);
            for (int i = rows; i < len; i++) {
                s[i & (L - 1)] = Math.fma(x[xOff + b + i], y[yOff + b + i], s[i & (L - 1)]);
            }
            ScalarKernelSupport.fold(lanes, s);
        }
        return ScalarKernelSupport.total(lanes);
    }

    @Override
    public double sumSquares(float[] x, int xOff, int n) {
        double[] lanes = new double[L];
        float[] s = new float[L];
        for (int b = 0; b < n; b += REDUCTION_BLOCK) {
            int len = Math.min(REDUCTION_BLOCK, n - b);
            int rows = len & -L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int r = 0; r < rows; r += L) {
                int p = xOff + b + r;
                FloatVector v0 = FloatVector.fromArray(F, x, p);
                FloatVector v1 = FloatVector.fromArray(F, x, p + V);
                a0 = v0.fma(v0, a0);
                a1 = v1.fma(v1, a1);
                if (N > 2) {
                    FloatVector v2 = FloatVector.fromArray(F, x, p + 2 * V);
                    FloatVector v3 = FloatVector.fromArray(F, x, p + 3 * V);
                    a2 = v2.fma(v2, a2);
                    a3 = v3.fma(v3, a3);
                }
                if (N > 4) {
                    FloatVector v4 = FloatVector.fromArray(F, x, p + 4 * V);
                    FloatVector v5 = FloatVector.fromArray(F, x, p + 5 * V);
                    FloatVector v6 = FloatVector.fromArray(F, x, p + 6 * V);
                    FloatVector v7 = FloatVector.fromArray(F, x, p + 7 * V);
                    a4 = v4.fma(v4, a4);
                    a5 = v5.fma(v5, a5);
                    a6 = v6.fma(v6, a6);
                    a7 = v7.fma(v7, a7);
                }
            }
            spill(s, a0, a1, a2, a3, a4, a5, a6, a7);
            for (int i = rows; i < len; i++) {
                float v = x[xOff + b + i];
                s[i & (L - 1)] = Math.fma(v, v, s[i & (L - 1)]);
            }
            ScalarKernelSupport.fold(lanes, s);
        }
        return ScalarKernelSupport.total(lanes);
    }

    @Override
    public double l1Norm(float[] x, int xOff, int n) {
        double[] lanes = new double[L];
        float[] s = new float[L];
        for (int b = 0; b < n; b += REDUCTION_BLOCK) {
            int len = Math.min(REDUCTION_BLOCK, n - b);
            int rows = len & -L;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int r = 0; r < rows; r += L) {
                int p = xOff + b + r;
                a0 = a0.add(FloatVector.fromArray(F, x, p).abs());
                a1 = a1.add(FloatVector.fromArray(F, x, p + V).abs());
                if (N > 2) {
                    a2 = a2.add(FloatVector.fromArray(F, x, p + 2 * V).abs());
                    a3 = a3.add(FloatVector.fromArray(F, x, p + 3 * V).abs());
                }
                if (N > 4) {
                    a4 = a4.add(FloatVector.fromArray(F, x, p + 4 * V).abs());
                    a5 = a5.add(FloatVector.fromArray(F, x, p + 5 * V).abs());
                    a6 = a6.add(FloatVector.fromArray(F, x, p + 6 * V).abs());
                    a7 = a7.add(FloatVector.fromArray(F, x, p + 7 * V).abs());
                }
            }
            spill(s, a0, a1, a2, a3, a4, a5, a6, a7);
            for (int i = rows; i < len; i++) {
                s[i & (L - 1)] += Math.abs(x[xOff + b + i]);
            }
            ScalarKernelSupport.fold(lanes, s);
        }
        return ScalarKernelSupport.total(lanes);
    }

    /** Writes the live accumulators to the 32 logical lanes, register q holding lanes q*V .. q*V+V-1. */
    private static void spill(float[] s, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3,
                              FloatVector a4, FloatVector a5, FloatVector a6, FloatVector a7) {
        a0.intoArray(s, 0);
        a1.intoArray(s, V);
        if (N > 2) {
            a2.intoArray(s, 2 * V);
            a3.intoArray(s, 3 * V);
        }
        if (N > 4) {
            a4.intoArray(s, 4 * V);
            a5.intoArray(s, 5 * V);
            a6.intoArray(s, 6 * V);
            a7.intoArray(s, 7 * V);
        }
    }

    @Override
    public float maxAbs(float[] x, int xOff, int n) {
        FloatVector m = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            m = m.max(FloatVector.fromArray(F, x, xOff + i).abs());
        }
        // max is order-independent on non-negative values, so a lane reduction is exact here.
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            r = Math.max(r, Math.abs(x[xOff + i]));
        }
        return Float.isNaN(r) ? Float.NaN : r;
    }

    @Override
    public void magnitudeKeys(float[] x, int xOff, int[] keys, int keysOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(F, x, xOff + i).reinterpretAsInts().and(0x7FFFFFFF).intoArray(keys, keysOff + i);
        }
        for (; i < n; i++) {
            keys[keysOff + i] = Float.floatToRawIntBits(x[xOff + i]) & 0x7FFFFFFF;
        }
    }

    @Override
    public int countMagnitudeAbove(float[] x, int xOff, int n, int key) {
        IntVector k = IntVector.broadcast(I, key);
        IntVector count = IntVector.zero(I);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            IntVector keys = FloatVector.fromArray(F, x, xOff + i).reinterpretAsInts().and(0x7FFFFFFF);
            // A true lane is -1 once blended in, so subtracting counts it.
            count = count.sub(IntVector.zero(I).blend(-1, keys.compare(VectorOperators.GT, k)));
        }
        int c = count.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            if ((Float.floatToRawIntBits(x[xOff + i]) & 0x7FFFFFFF) > key) {
                c++;
            }
        }
        return c;
    }
    /** Added to every lane's Weyl state per vector: as many outputs as there are lanes. */
    private static final LongVector WEYL_STEP = LongVector.broadcast(LONGS, LONGS.length() * FloatKernels.GOLDEN_GAMMA);

    /**
     * The Weyl states of the SplitMix64 outputs that hold 32-bit words {@code first, first + 1, ...}
     * (first even): lane l holds output first/2 + l, whose two halves are words first + 2l and
     * first + 2l + 1, the int lanes of the reinterpreted vector in position order.
     */
    private static LongVector wordWeyl(long seed, long first) {
        return LongVector.zero(LONGS).addIndex(1).add((first >>> 1) + 1).mul(FloatKernels.GOLDEN_GAMMA).add(seed);
    }

    /** SplitMix64's finaliser on every lane's Weyl state (the vector form of {@link FloatKernels#splitMix64}). */
    private static LongVector splitMixFinish(LongVector weyl) {
        LongVector y = weyl.lanewise(VectorOperators.XOR, weyl.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
        y = y.lanewise(VectorOperators.XOR, y.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
        return y.lanewise(VectorOperators.XOR, y.lanewise(VectorOperators.LSHR, 31));
    }

    @Override
    public boolean allFinite(float[] x, int n) {
        // The largest exponent field seen; all-ones (NaN or ±Inf) is the only value at 0x7F800000.
        IntVector exponents = IntVector.zero(I);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            exponents = exponents.max(FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7F800000));
        }
        return exponents.reduceLanes(VectorOperators.MAX) < 0x7F800000 && ScalarKernelSupport.allFiniteFrom(x, i, n);
    }

    @Override
    public void splitMix32(long seed, long first, int[] out, int outOff, int n) {
        int lanes = LONGS.length();
        LongVector z = wordWeyl(seed, first);
        LongVector step = WEYL_STEP;
        int i = 0;
        for (int bound = n - n % (2 * lanes); i < bound; i += 2 * lanes) {
            splitMixFinish(z).reinterpretAsInts().intoArray(out, outOff + i);
            z = z.add(step);
        }
        for (; i < n; i++) {
            out[outOff + i] = FloatKernels.splitMix32(seed, first + i);
        }
    }

    @Override
    public void keepWordsBelow(long seed, long first, int threshold, int[] keep, int off, int n) {
        int lanes = LONGS.length();
        LongVector z = wordWeyl(seed, first);
        LongVector step = WEYL_STEP;
        IntVector t = IntVector.broadcast(I, threshold);
        int i = 0;
        for (int bound = n - n % (2 * lanes); i < bound; i += 2 * lanes) {
            IntVector words = splitMixFinish(z).reinterpretAsInts();
            ((IntVector) words.compare(VectorOperators.ULT, t).toVector()).intoArray(keep, off + i);
            z = z.add(step);
        }
        for (; i < n; i++) {
            keep[off + i] = Integer.compareUnsigned(FloatKernels.splitMix32(seed, first + i), threshold) < 0 ? -1 : 0;
        }
    }

    @Override
    public void zeroDropped(float[] x, int[] keep, int n) {
        int i = 0;
        for (int bound = I.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(F, x, i).reinterpretAsInts().and(IntVector.fromArray(I, keep, i))
                    .reinterpretAsFloats().intoArray(x, i);
        }
        ScalarKernelSupport.zeroDroppedTail(x, keep, i, n);
    }

    @Override
    public void packKeep(int[] keep, int n, long[] bits, long first) {
        // Scalar up to a word boundary, then whole words from 64 / V vectors' masks, then the rest.
        int head = (int) Math.min(n, (64 - (first & 63)) & 63);
        ScalarKernelSupport.packKeepRange(keep, 0, head, bits, first);
        int i = head;
        int word = (int) ((first + i) >>> 6);
        for (; i + 64 <= n; i += 64, word++) {
            long w = 0;
            for (int v = 0; v < 64; v += V) {
                w |= IntVector.fromArray(I, keep, i + v).compare(VectorOperators.NE, 0).toLong() << v;
            }
            bits[word] = w;
        }
        ScalarKernelSupport.packKeepRange(keep, i, n, bits, first);
    }

    @Override
    public long drawBand(float[] x, int[] draws, int off, int n, int low, int high, int[] keys, int[] keep) {
        IntVector lowV = IntVector.broadcast(I, low);
        IntVector highV = IntVector.broadcast(I, high);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector all = IntVector.broadcast(I, 0x7FFFFFFF);
        IntVector any = IntVector.zero(I);
        int i = 0;
        for (int bound = I.loopBound(n); i < bound; i += V) {
            IntVector key = FloatVector.fromArray(F, x, off + i).reinterpretAsInts().and(0x7FFFFFFF);
            key.intoArray(keys, i);
            all = all.and(key);
            any = any.or(key);
            IntVector d = IntVector.fromArray(I, draws, off + i);
            // −1 below low; else 1 below high; else 0.
            VectorMask<Integer> sure = d.compare(VectorOperators.ULT, lowV);
            IntVector band = one.and((IntVector) d.compare(VectorOperators.ULT, highV).toVector());
            band.blend(-1, sure).intoArray(keep, off + i);
        }
        return ScalarKernelSupport.drawBandTail(x, draws, off, i, n, low, high, keys, keep,
                all.reduceLanes(VectorOperators.AND), any.reduceLanes(VectorOperators.OR));
    }

    @Override
    public int stableRank(int[] keys, int n, int k) {
        // Before k the equal keys count too (LE), after it only the smaller ones (LT); the vector that
        // holds k is done one by one.
        IntVector key = IntVector.broadcast(I, keys[k]);
        IntVector count = IntVector.zero(I);
        int j = 0;
        for (int bound = k - k % V; j < bound; j += V) {
            count = count.sub((IntVector) IntVector.fromArray(I, keys, j).compare(VectorOperators.LE, key).toVector());
        }
        int from = Math.min(n, j + V);   // the end of k's vector
        int r = ScalarKernelSupport.stableRankTail(keys, j, from, k);
        j = from;
        for (int bound = j + I.loopBound(n - j); j < bound; j += V) {
            count = count.sub((IntVector) IntVector.fromArray(I, keys, j).compare(VectorOperators.LT, key).toVector());
        }
        return r + ScalarKernelSupport.stableRankTail(keys, j, n, k) + count.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void magnitudeWindow(float[] x, int n, int lowKey, int highKey, long[] ties, float scale) {
        IntVector low = IntVector.broadcast(I, lowKey);
        IntVector high = IntVector.broadcast(I, highKey);
        FloatVector s = FloatVector.broadcast(F, scale);
        IntVector zero = IntVector.zero(I);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            IntVector bits = FloatVector.fromArray(F, x, i).reinterpretAsInts();
            IntVector key = bits.and(0x7FFFFFFF);
            VectorMask<Integer> inLow = key.compare(VectorOperators.GT, low);
            VectorMask<Integer> inHigh = key.compare(VectorOperators.GT, high);
            VectorMask<Integer> atLow = key.eq(low);
            VectorMask<Integer> atHigh = key.eq(high);
            if (atLow.or(atHigh).anyTrue()) {
                // Ties: while a quota lasts for all of this vector's equal lanes they are all in, once
                // spent none are; the one vector where a quota runs out goes element by element.
                int lowCount = atLow.trueCount();
                int highCount = atHigh.trueCount();
                if (ties[0] > 0 && ties[0] < lowCount || ties[1] > 0 && ties[1] < highCount) {
                    ScalarKernelSupport.magnitudeWindowTail(x, i, i + V, lowKey, highKey, ties, scale);
                    continue;
                }
                if (ties[0] > 0) {
                    inLow = inLow.or(atLow);
                    ties[0] -= lowCount;
                }
                if (ties[1] > 0) {
                    inHigh = inHigh.or(atHigh);
                    ties[1] -= highCount;
                }
            }
            zero.blend(bits, inLow.andNot(inHigh)).reinterpretAsFloats().mul(s).intoArray(x, i);
        }
        ScalarKernelSupport.magnitudeWindowTail(x, i, n, lowKey, highKey, ties, scale);
    }

    @Override
    public void keepBits(float[] x, int n, long[] bits, long first) {
        // Lane l tests bit l of the V bits at the vector's position (V ≤ 32: they fit an int).
        IntVector laneBit = IntVector.broadcast(I, 1).lanewise(VectorOperators.LSHL, IntVector.zero(I).addIndex(1));
        IntVector zero = IntVector.zero(I);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            long b = first + i;
            int q = (int) (b >>> 6);
            int shift = (int) (b & 63);
            long window = bits[q] >>> shift;
            if (shift > 64 - V) {
                window |= bits[q + 1] << (64 - shift);   // the vector's bits continue in the next word
            }
            VectorMask<Integer> keep = IntVector.broadcast(I, (int) window).and(laneBit).compare(VectorOperators.NE, 0);
            zero.blend(FloatVector.fromArray(F, x, i).reinterpretAsInts(), keep).reinterpretAsFloats().intoArray(x, i);
        }
        ScalarKernelSupport.keepBitsTail(x, i, n, bits, first);
    }

    @Override
    public void electedMix(float[][] d, float[] w, float[] base, float lambda, boolean normalize, float[] out, int n) {
        int count = d.length;
        FloatVector zero = FloatVector.zero(F);
        FloatVector one = FloatVector.broadcast(F, 1f);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            FloatVector vote = zero;
            for (int i = 0; i < count; i++) {
                vote = vote.add(FloatVector.fromArray(F, d[i], j).mul(w[i]));
            }
            VectorMask<Float> positive = vote.compare(VectorOperators.GE, 0f);
            FloatVector mix = zero;
            FloatVector agreeing = zero;
            for (int i = 0; i < count; i++) {
                FloatVector wd = FloatVector.fromArray(F, d[i], j).mul(w[i]);
                VectorMask<Float> agree = wd.compare(VectorOperators.GT, 0f).and(positive)
                        .or(wd.compare(VectorOperators.LT, 0f).andNot(positive));
                mix = mix.add(zero.blend(wd, agree));
                agreeing = agreeing.add(zero.blend(w[i], agree));
            }
            if (normalize) {
                mix = mix.div(agreeing.blend(one, agreeing.compare(VectorOperators.EQ, 0f)));
            }
            FloatVector.fromArray(F, base, j).add(mix.mul(lambda)).intoArray(out, j);
        }
        ScalarKernelSupport.electedMixTail(d, w, base, lambda, normalize, out, j, n);
    }

    @Override
    public void countElectedMix(float[][] t, float[] w, boolean voteBySign, float[] base, float[] out, int n) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector minusOne = FloatVector.broadcast(F, -1f);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            FloatVector vote = zero;
            for (float[] ti : t) {
                FloatVector x = FloatVector.fromArray(F, ti, j);
                vote = vote.add(voteBySign
                        ? zero.blend(one, x.compare(VectorOperators.GT, 0f)).blend(minusOne, x.compare(VectorOperators.LT, 0f))
                        : x);
            }
            VectorMask<Float> positive = vote.compare(VectorOperators.GE, 0f);
            FloatVector mix = zero;
            FloatVector agreeing = zero;
            for (int i = 0; i < t.length; i++) {
                FloatVector x = FloatVector.fromArray(F, t[i], j);
                VectorMask<Float> agree = x.compare(VectorOperators.GT, 0f).and(positive)
                        .or(x.compare(VectorOperators.LT, 0f).andNot(positive));
                mix = mix.add(zero.blend(x.mul(w[i]), agree));
                agreeing = agreeing.add(zero.blend(one, agree));
            }
            FloatVector.fromArray(F, base, j).add(mix.div(agreeing.max(one))).intoArray(out, j);
        }
        ScalarKernelSupport.countElectedMixTail(t, w, voteBySign, base, out, j, n);
    }

    @Override
    public double softmaxKl(float[] x, float[] y, int off, int len, double eps, double[] scratch) {
        return VectorSoftmaxKl.divergence(x, y, off, len, eps, scratch);
    }

    // ---- sce: selection by variance over models, sign-elected weighted mean ---------------------------

    /** Doubles of the float species' width: a float vector widens into two of them (parts 0 and 1). */
    private static final VectorSpecies<Double> D = F.withLanes(double.class);
    /** Floats of half the width: what one of those double vectors narrows back into. */
    private static final VectorSpecies<Float> H = VectorSpecies.of(float.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    @Override
    public void populationVariance(float[][] xs, float[] out, int n) {
        int m = xs.length;
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            DoubleVector mean0 = DoubleVector.zero(D);
            DoubleVector mean1 = mean0;
            for (float[] x : xs) {
                FloatVector v = FloatVector.fromArray(F, x, j);
                mean0 = mean0.add(widen(v, 0));
                mean1 = mean1.add(widen(v, 1));
            }
            mean0 = mean0.div(m);
            mean1 = mean1.div(m);
            DoubleVector ss0 = DoubleVector.zero(D);
            DoubleVector ss1 = ss0;
            for (float[] x : xs) {
                FloatVector v = FloatVector.fromArray(F, x, j);
                DoubleVector dev0 = widen(v, 0).sub(mean0);
                DoubleVector dev1 = widen(v, 1).sub(mean1);
                ss0 = ss0.add(dev0.mul(dev0));
                ss1 = ss1.add(dev1.mul(dev1));
            }
            ss0.div(m).convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, j);
            ss1.div(m).convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, j + V / 2);
        }
        ScalarKernelSupport.populationVarianceTail(xs, out, j, n);
    }

    private static DoubleVector widen(FloatVector v, int part) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, part);
    }

    @Override
    public int zeroWhereKeyBelow(int[] keys, int key, float[][] xs, int n) {
        IntVector equal = IntVector.zero(I);
        int j = 0;
        for (int bound = I.loopBound(n); j < bound; j += V) {
            IntVector k = IntVector.fromArray(I, keys, j);
            VectorMask<Float> below = k.compare(VectorOperators.LT, key).cast(F);
            for (float[] x : xs) {
                FloatVector.fromArray(F, x, j).blend(0f, below).intoArray(x, j);
            }
            // A true lane is -1 once blended in, so subtracting counts it.
            equal = equal.sub(IntVector.zero(I).blend(-1, k.compare(VectorOperators.EQ, key)));
        }
        return equal.reduceLanes(VectorOperators.ADD) + ScalarKernelSupport.zeroWhereKeyBelowTail(keys, key, xs, j, n);
    }

    @Override
    public void electedWeightedMean(float[][] t, float[] c, float floor, float[] base, float[] out, int n) {
        FloatVector zero = FloatVector.zero(F);
        int j = 0;
        for (int bound = F.loopBound(n); j < bound; j += V) {
            FloatVector vote = zero;
            for (float[] ti : t) {
                vote = vote.add(FloatVector.fromArray(F, ti, j));
            }
            VectorMask<Float> positive = vote.compare(VectorOperators.GE, 0f);
            FloatVector num = zero;
            FloatVector den = zero;
            for (int i = 0; i < t.length; i++) {
                FloatVector x = FloatVector.fromArray(F, t[i], j);
                VectorMask<Float> agree = x.compare(VectorOperators.GT, 0f).and(positive)
                        .or(x.compare(VectorOperators.LT, 0f).andNot(positive));
                num = num.add(x.mul(c[i]), agree);
                den = den.lanewise(VectorOperators.ADD, c[i], agree);
            }
            FloatVector.fromArray(F, base, j).add(num.div(den.max(floor))).intoArray(out, j);
        }
        ScalarKernelSupport.electedWeightedMeanTail(t, c, floor, base, out, j, n);
    }

    // ---- compat: sign statistics of task-vector pairs --------------------------------------------------

    @Override
    public int countBothNonZero(float[] x, float[] y, int n) {
        IntVector count = IntVector.zero(I);
        int k = 0;
        for (int bound = F.loopBound(n); k < bound; k += V) {
            VectorMask<Integer> both = nonZero(x, k).and(nonZero(y, k));
            count = count.sub(IntVector.zero(I).blend(-1, both)); // a true lane is -1 once blended in
        }
        return count.reduceLanes(VectorOperators.ADD) + ScalarKernelSupport.countBothNonZeroTail(x, y, k, n);
    }

    @Override
    public int countSignConflicts(float[] x, float[] y, int n) {
        IntVector count = IntVector.zero(I);
        int k = 0;
        for (int bound = F.loopBound(n); k < bound; k += V) {
            IntVector a = FloatVector.fromArray(F, x, k).reinterpretAsInts();
            IntVector b = FloatVector.fromArray(F, y, k).reinterpretAsInts();
            VectorMask<Integer> conflict = a.and(0x7FFFFFFF).compare(VectorOperators.NE, 0)
                    .and(b.and(0x7FFFFFFF).compare(VectorOperators.NE, 0))
                    .and(a.lanewise(VectorOperators.XOR, b).compare(VectorOperators.LT, 0));
            count = count.sub(IntVector.zero(I).blend(-1, conflict));
        }
        return count.reduceLanes(VectorOperators.ADD) + ScalarKernelSupport.countSignConflictsTail(x, y, k, n);
    }

    /** Lanes of x[k..) that are not ±0 (NaN included, as {@code x != 0f}). */
    private static VectorMask<Integer> nonZero(float[] x, int k) {
        return FloatVector.fromArray(F, x, k).reinterpretAsInts().and(0x7FFFFFFF).compare(VectorOperators.NE, 0);
    }

    // ---- position-keyed random keys ---------------------------------------------------------------------

    @Override
    public int positionKeysAtOrAbove(long stream, long start, int n, int bound, int[] offsets, int count) {
        int lanes = LONGS.length();
        LongVector weyl = wordWeyl(stream, start);
        LongVector step = WEYL_STEP;
        IntVector b = IntVector.broadcast(I, bound);
        int j = 0;
        for (int end = n - n % (2 * lanes); j < end; j += 2 * lanes) {
            IntVector keys = splitMixFinish(weyl).reinterpretAsInts().lanewise(VectorOperators.LSHR, 2);
            long hits = keys.compare(VectorOperators.GE, b).toLong();
            // Branch-free: a tenth of the keys clear the bound, so a branch per vector would mispredict
            // often (measured 2.3x slower). Every lane's offset is written; only hits advance the count.
            for (int l = 0; l < 2 * lanes; l++) {
                offsets[count] = j + l;
                count += (int) (hits >>> l) & 1;
            }
            weyl = weyl.add(step);
        }
        return ScalarKernelSupport.positionKeysAtOrAboveTail(stream, start, j, n, bound, offsets, count);
    }

    @Override
    public void scaledAbsDifference(float[] x, float[] y, int off, int n, double s, float[] out, int outOff) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += V) {
            FloatVector a = FloatVector.fromArray(F, x, off + i);
            FloatVector b = FloatVector.fromArray(F, y, off + i);
            widen(a, 0).sub(widen(b, 0)).abs().mul(s)
                    .convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, outOff + i);
            widen(a, 1).sub(widen(b, 1)).abs().mul(s)
                    .convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats().intoArray(out, outOff + i + V / 2);
        }
        ScalarKernelSupport.scaledAbsDifferenceTail(x, y, off, i, n, s, out, outOff);
    }

    @Override
    public void keepLargeChanges(float[] x, float[] base, int off, int n, double s, float threshold, float[] out, int outOff) {
        // Half-width floats throughout: the importance is formed in doubles of the full width.
        int i = 0;
        for (int bound = H.loopBound(n); i < bound; i += H.length()) {
            FloatVector a = FloatVector.fromArray(H, x, off + i);
            FloatVector b = FloatVector.fromArray(H, base, off + i);
            DoubleVector change = ((DoubleVector) a.convertShape(VectorOperators.F2D, D, 0))
                    .sub((DoubleVector) b.convertShape(VectorOperators.F2D, D, 0));
            FloatVector importance = change.abs().mul(s).convertShape(VectorOperators.D2F, H, 0).reinterpretAsFloats();
            b.blend(b.add(a.sub(b)), importance.compare(VectorOperators.GE, threshold)).intoArray(out, outOff + i);
        }
        ScalarKernelSupport.keepLargeChangesTail(x, base, off, i, n, s, threshold, out, outOff);
    }
}
