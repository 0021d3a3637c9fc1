package dev.mergelab.method.kernel;

import dev.mergelab.tensor.VectorShapes;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link Gram#dot} at the provider's width: {@code V} doubles per vector (2, 4
 * or 8), the floats loaded {@code V} at a time at half the width and widened with a same-lane-count cast
 * (which C2 compiles to one instruction; a part of a wider float vector is not intrinsified and ran 3x
 * slower). {@code N = 16 / V} accumulators hold the reference's {@value Gram#LANES} lanes, register i
 * lanes i·V .. i·V+V−1 (element j in lane j mod 16); the {@code if (N > ...)} tests are on constants and
 * vanish when compiled. A product of two floats is exact in double, so fma(x, y, acc) rounds exactly like
 * the reference's acc + x·y, and the result equals {@link Gram#dotScalar} bit for bit on any CPU.
 */
final class GramVector {

    private static final VectorSpecies<Double> D = VectorShapes.floats().withLanes(double.class);
    private static final int V = D.length();
    private static final int N = Gram.LANES / V;
    /** Same lane count as {@link #D}, half the bits. */
    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    private GramVector() {
    }

    /** The lane layout needs 2 to 16 doubles per vector. */
    static boolean available() {
        return V >= 2 && V <= Gram.LANES && Gram.LANES % V == 0;
    }

    static double dot(float[] x, float[] y, int n) {
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int full = n & -Gram.LANES;
        for (int j = 0; j < full; j += Gram.LANES) {
            a0 = widen(x, j).fma(widen(y, j), a0);
            if (N > 1) {
                a1 = widen(x, j + V).fma(widen(y, j + V), a1);
            }
            if (N > 2) {
                a2 = widen(x, j + 2 * V).fma(widen(y, j + 2 * V), a2);
                a3 = widen(x, j + 3 * V).fma(widen(y, j + 3 * V), a3);
            }
            if (N > 4) {
                a4 = widen(x, j + 4 * V).fma(widen(y, j + 4 * V), a4);
                a5 = widen(x, j + 5 * V).fma(widen(y, j + 5 * V), a5);
                a6 = widen(x, j + 6 * V).fma(widen(y, j + 6 * V), a6);
                a7 = widen(x, j + 7 * V).fma(widen(y, j + 7 * V), a7);
            }
        }
        double[] lanes = new double[Gram.LANES];
        a0.intoArray(lanes, 0);
        if (N > 1) {
            a1.intoArray(lanes, V);
        }
        if (N > 2) {
            a2.intoArray(lanes, 2 * V);
            a3.intoArray(lanes, 3 * V);
        }
        if (N > 4) {
            a4.intoArray(lanes, 4 * V);
            a5.intoArray(lanes, 5 * V);
            a6.intoArray(lanes, 6 * V);
            a7.intoArray(lanes, 7 * V);
        }
        return Gram.finish(lanes, x, y, full, n);
    }

    /** v[at .. at+V) as doubles. */
    private static DoubleVector widen(float[] v, int at) {
        return (DoubleVector) FloatVector.fromArray(F, v, at).convertShape(VectorOperators.F2D, D, 0);
    }
}
