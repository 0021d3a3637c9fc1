package dev.mergelab.tensor;

/**
 * Float32 kernels shared by merge methods and the engine, behind one interface so that the scalar
 * reference and the Vector API implementation can be swapped at start-up (see {@link Vectorization}).
 * Use them through {@link FloatKernels}; the exact semantics, which every implementation must match bit
 * for bit on non-NaN results, are documented there. Callers check bounds.
 */
public interface KernelSupport {

    /** Logical accumulator lanes of the reductions; fixed so that results do not depend on the CPU. */
    int REDUCTION_LANES = 32;

    /** Elements summed in float per lane-block before the partial sums are folded into double. */
    int REDUCTION_BLOCK = 1024;

    String name();

    void axpy(float w, float[] x, int xOff, float[] out, int outOff, int n);

    void weightedSum(float[][] xs, float[] weights, int xOff, float[] out, int outOff, int n);

    void scale(float s, float[] x, int xOff, float[] out, int outOff, int n);

    void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    double dot(float[] x, int xOff, float[] y, int yOff, int n);

    double sumSquares(float[] x, int xOff, int n);

    double l1Norm(float[] x, int xOff, int n);

    float maxAbs(float[] x, int xOff, int n);

    void magnitudeKeys(float[] x, int xOff, int[] keys, int keysOff, int n);

    int countMagnitudeAbove(float[] x, int xOff, int n, int key);

    boolean allFinite(float[] x, int n);

    /** {@link FloatKernels#splitMix32} from an even {@code first}. */
    void splitMix32(long seed, long first, int[] out, int outOff, int n);

    int countBothNonZero(float[] x, float[] y, int n);

    int countSignConflicts(float[] x, float[] y, int n);
}
