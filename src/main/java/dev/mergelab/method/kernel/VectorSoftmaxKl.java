package dev.mergelab.method.kernel;

import static dev.mergelab.method.kernel.SoftmaxKl.E10;
import static dev.mergelab.method.kernel.SoftmaxKl.E11;
import static dev.mergelab.method.kernel.SoftmaxKl.E12;
import static dev.mergelab.method.kernel.SoftmaxKl.E13;
import static dev.mergelab.method.kernel.SoftmaxKl.E2;
import static dev.mergelab.method.kernel.SoftmaxKl.E3;
import static dev.mergelab.method.kernel.SoftmaxKl.E4;
import static dev.mergelab.method.kernel.SoftmaxKl.E5;
import static dev.mergelab.method.kernel.SoftmaxKl.E6;
import static dev.mergelab.method.kernel.SoftmaxKl.E7;
import static dev.mergelab.method.kernel.SoftmaxKl.E8;
import static dev.mergelab.method.kernel.SoftmaxKl.E9;
import static dev.mergelab.method.kernel.SoftmaxKl.L11;
import static dev.mergelab.method.kernel.SoftmaxKl.L13;
import static dev.mergelab.method.kernel.SoftmaxKl.L15;
import static dev.mergelab.method.kernel.SoftmaxKl.L17;
import static dev.mergelab.method.kernel.SoftmaxKl.L19;
import static dev.mergelab.method.kernel.SoftmaxKl.L21;
import static dev.mergelab.method.kernel.SoftmaxKl.L23;
import static dev.mergelab.method.kernel.SoftmaxKl.L3;
import static dev.mergelab.method.kernel.SoftmaxKl.L5;
import static dev.mergelab.method.kernel.SoftmaxKl.L7;
import static dev.mergelab.method.kernel.SoftmaxKl.L9;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import dev.mergelab.tensor.VectorShapes;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API form of {@link SoftmaxKl}: the same operations lane by lane, so the same bits. Each step is
 * its own loop over the row (widen, exponentiate, divergence terms, lane sums), with the exponential and
 * the logarithm written out inside their loops: a vector passed to or returned from a method that C2
 * does not inline is boxed on the heap, and a polynomial helper sits near the inlining size limit
 * (measured: 2.3x slower when it was not inlined). The reference's 8 sum lanes are spread over
 * {@code N = 8 / V} accumulators of {@code V} = 2, 4 or 8 doubles, register i holding lanes
 * i·V .. i·V+V−1; the {@code if (N > ...)} tests are on constants and vanish when compiled. Tails run
 * the reference's scalar {@link SoftmaxKl#exp}/{@link SoftmaxKl#log}.
 */
final class VectorSoftmaxKl {

    private static final VectorSpecies<Float> F = VectorShapes.floats();
    private static final VectorSpecies<Double> D = F.withLanes(double.class);
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int V = D.length();
    private static final int L = SoftmaxKl.LANES;
    private static final int N = L / V;

    private VectorSoftmaxKl() {
    }

    /** The lane layout needs 2, 4 or 8 doubles per vector. */
    static boolean available() {
        return V >= 2 && V <= L && L % V == 0;
    }

    static double divergence(float[] x, float[] y, int off, int len, double eps, double[] scratch) {
        double s = exponentials(x, off, len, scratch, 0);
        double t = exponentials(y, off, len, scratch, len);
        klTerms(scratch, len, s, t, eps);
        return laneSum(scratch, 0, len);
    }

    /** {@link SoftmaxKl#tableRow}, with the OR of the low halves and the largest magnitude taken in vectors. */
    private static boolean tableRow(float[] x, int off, int len) {
        IntVector low = IntVector.zero(I);
        IntVector magnitude = IntVector.zero(I);
        int k = 0;
        for (int bound = F.loopBound(len); k < bound; k += F.length()) {
            IntVector bits = FloatVector.fromArray(F, x, off + k).reinterpretAsInts();
            low = low.or(bits.and(0xFFFF));
            magnitude = magnitude.max(bits.and(0x7FFFFFFF));
        }
        return low.reduceLanes(VectorOperators.OR) == 0 && magnitude.reduceLanes(VectorOperators.MAX) <= SoftmaxKl.TABLE_LIMIT_BITS
                && SoftmaxKl.tableRow(x, off + k, len - k);
    }

    /** The row's e_k into {@code out[at..at+len)}, looked up ({@link SoftmaxKl#lookUpExp}) or computed; returns their sum. */
    private static double exponentials(float[] x, int off, int len, double[] out, int at) {
        if (tableRow(x, off, len)) {
            SoftmaxKl.lookUpExp(x, off, len, out, at);
            return laneSum(out, at, len);
        }
        return expShifted(x, off, len, out, at);
    }

    /** {@code out[at + k] = exp(x_k − max x)}; returns their sum. */
    private static double expShifted(float[] x, int off, int len, double[] out, int at) {
        double max = max(x, off, len);
        for (int k = 0; k < len; k++) {
            out[at + k] = x[off + k] - max; // exact widening, then one rounding, as in the reference
        }
        expInPlace(out, at, len);
        return laneSum(out, at, len);
    }

    /** {@code a[from + k] = e^a[from + k]} ({@link SoftmaxKl#exp}; written out so the loop body is one method). */
    private static void expInPlace(double[] a, int from, int len) {
        int k = 0;
        for (int bound = D.loopBound(len); k < bound; k += V) {
            DoubleVector x = DoubleVector.fromArray(D, a, from + k);
            DoubleVector xc = x.max(SoftmaxKl.EXP_MIN);
            DoubleVector t = xc.fma(SoftmaxKl.LOG2E, SoftmaxKl.SHIFTER);
            DoubleVector n = t.sub(SoftmaxKl.SHIFTER);
            DoubleVector r = n.lanewise(FMA, -SoftmaxKl.LN2_HI, xc);
            r = n.lanewise(FMA, -SoftmaxKl.LN2_LO, r);
            DoubleVector p = DoubleVector.broadcast(D, E13);
            p = p.lanewise(FMA, r, E12);
            p = p.lanewise(FMA, r, E11);
            p = p.lanewise(FMA, r, E10);
            p = p.lanewise(FMA, r, E9);
            p = p.lanewise(FMA, r, E8);
            p = p.lanewise(FMA, r, E7);
            p = p.lanewise(FMA, r, E6);
            p = p.lanewise(FMA, r, E5);
            p = p.lanewise(FMA, r, E4);
            p = p.lanewise(FMA, r, E3);
            p = p.lanewise(FMA, r, E2);
            p = p.lanewise(FMA, r, 1.0);
            p = p.lanewise(FMA, r, 1.0);
            DoubleVector twoToN = t.reinterpretAsLongs().lanewise(LSHL, 52).add(SoftmaxKl.EXP_BIAS).reinterpretAsDoubles();
            p.mul(twoToN).blend(0.0, x.compare(VectorOperators.LT, SoftmaxKl.EXP_MIN)).intoArray(a, from + k);
        }
        for (; k < len; k++) {
            a[from + k] = SoftmaxKl.exp(a[from + k]);
        }
    }

    /**
     * {@code scratch[k] = p·ln(p/q)} with {@code p = scratch[k]/s + eps}, {@code q = scratch[len + k]/t + eps}
     * (the logarithm is {@link SoftmaxKl#log}, written out so the loop body is one method).
     */
    private static void klTerms(double[] scratch, int len, double s, double t, double eps) {
        int k = 0;
        for (int bound = D.loopBound(len); k < bound; k += V) {
            DoubleVector p = DoubleVector.fromArray(D, scratch, k).div(s).add(eps);
            DoubleVector q = DoubleVector.fromArray(D, scratch, len + k).div(t).add(eps);
            DoubleVector y = p.div(q);
            LongVector bits = y.reinterpretAsLongs().sub(SoftmaxKl.SQRT_HALF_FRACTION);
            DoubleVector e = bits.lanewise(LSHR, 52).add(SoftmaxKl.SHIFTER_BITS).reinterpretAsDoubles()
                    .sub(SoftmaxKl.SHIFTER + 1022);
            DoubleVector m = bits.and(SoftmaxKl.FRACTION_MASK).add(SoftmaxKl.SQRT_HALF_BITS).reinterpretAsDoubles();
            DoubleVector f = m.sub(1.0);
            DoubleVector sm = f.div(f.add(2.0));
            DoubleVector z = sm.mul(sm);
            DoubleVector r = DoubleVector.broadcast(D, L23);
            r = r.lanewise(FMA, z, L21);
            r = r.lanewise(FMA, z, L19);
            r = r.lanewise(FMA, z, L17);
            r = r.lanewise(FMA, z, L15);
            r = r.lanewise(FMA, z, L13);
            r = r.lanewise(FMA, z, L11);
            r = r.lanewise(FMA, z, L9);
            r = r.lanewise(FMA, z, L7);
            r = r.lanewise(FMA, z, L5);
            r = r.lanewise(FMA, z, L3);
            DoubleVector lnm = sm.mul(z).fma(r, sm.mul(2.0));
            DoubleVector ln = e.lanewise(FMA, SoftmaxKl.LN2_HI, e.lanewise(FMA, SoftmaxKl.LN2_LO, lnm));
            ln = ln.blend(y, y.compare(VectorOperators.LT, Double.POSITIVE_INFINITY).not());
            p.mul(ln).intoArray(scratch, k);
        }
        for (; k < len; k++) {
            double p = scratch[k] / s + eps;
            double q = scratch[len + k] / t + eps;
            scratch[k] = p * SoftmaxKl.log(p / q);
        }
    }

    /** max x_k as a double, −∞ for no elements; NaN if any is NaN (max is order-independent). */
    private static double max(float[] x, int off, int len) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int k = 0;
        for (int bound = F.loopBound(len); k < bound; k += F.length()) {
            m = m.max(FloatVector.fromArray(F, x, off + k));
        }
        double max = m.reduceLanes(VectorOperators.MAX);
        for (; k < len; k++) {
            max = Math.max(max, x[off + k]);
        }
        return max;
    }

    /** {@link SoftmaxKl#laneSum}. */
    private static double laneSum(double[] a, int from, int len) {
        int steps = len & -L;
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < steps; k += L) {
            a0 = a0.add(DoubleVector.fromArray(D, a, from + k));
            if (N > 1) {
                a1 = a1.add(DoubleVector.fromArray(D, a, from + k + V));
            }
            if (N > 2) {
                a2 = a2.add(DoubleVector.fromArray(D, a, from + k + 2 * V));
                a3 = a3.add(DoubleVector.fromArray(D, a, from + k + 3 * V));
            }
        }
        double[] lanes = new double[L];
        a0.intoArray(lanes, 0);
        if (N > 1) {
            a1.intoArray(lanes, V);
        }
        if (N > 2) {
            a2.intoArray(lanes, 2 * V);
            a3.intoArray(lanes, 3 * V);
        }
        for (int k = steps; k < len; k++) {
            lanes[k & (L - 1)] += a[from + k];
        }
        return SoftmaxKl.total(lanes);
    }
}
