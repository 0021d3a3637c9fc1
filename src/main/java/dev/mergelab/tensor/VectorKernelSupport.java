package dev.mergelab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
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
    private static final int V = F.length();
    private static final int L = REDUCTION_LANES;
    private static final int N = L / V;

    static final VectorKernelSupport INSTANCE = new VectorKernelSupport();

    private VectorKernelSupport() {
    }

    /**
     * The reduction layout needs a lane count that splits 32 lanes into 2 to 8 registers; the provider
     * uses these kernels only then.
     */
    static boolean available() {
        return V >= 4 && V <= L / 2 && L % V == 0;
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
        int lanes = VectorSplitMix.LONGS.length();
        LongVector z = VectorSplitMix.wordWeyl(seed, first);
        LongVector step = VectorSplitMix.WEYL_STEP;
        int i = 0;
        for (int bound = n - n % (2 * lanes); i < bound; i += 2 * lanes) {
            VectorSplitMix.finish(z).reinterpretAsInts().intoArray(out, outOff + i);
            z = z.add(step);
        }
        for (; i < n; i++) {
            out[outOff + i] = FloatKernels.splitMix32(seed, first + i);
        }
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
}
