package dev.mergelab.method.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link Gram#dot}: 4 floats per load widened to a 4-lane double vector (a
 * same-lane-count cast, which C2 compiles to one instruction; a part of a wider float vector is not
 * intrinsified and ran 3x slower), four accumulators = the reference's {@value Gram#LANES} lanes (element j in lane j mod 16). A product
 * of two floats is exact in double, so fma(x, y, acc) rounds exactly like the reference's acc + x·y, and
 * the result equals {@link Gram#dotScalar} bit for bit on any CPU. Loaded only when the Vector API is.
 */
final class GramVector {

    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;

    private GramVector() {
    }

    static double dot(float[] x, float[] y, int n) {
        DoubleVector a0 = DoubleVector.zero(D4);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        int full = n & -Gram.LANES;
        for (int j = 0; j < full; j += Gram.LANES) {
            a0 = widen(x, j).fma(widen(y, j), a0);
            a1 = widen(x, j + 4).fma(widen(y, j + 4), a1);
            a2 = widen(x, j + 8).fma(widen(y, j + 8), a2);
            a3 = widen(x, j + 12).fma(widen(y, j + 12), a3);
        }
        double[] lanes = new double[Gram.LANES];
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 4);
        a2.intoArray(lanes, 8);
        a3.intoArray(lanes, 12);
        return Gram.finish(lanes, x, y, full, n);
    }

    /** v[at .. at+4) as doubles. */
    private static DoubleVector widen(float[] v, int at) {
        return (DoubleVector) FloatVector.fromArray(F4, v, at).convertShape(VectorOperators.F2D, D4, 0);
    }
}
