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

    /** {@link FloatKernels#keepWordsBelow} from an even {@code first}, into {@code keep[off..off+n)}. */
    void keepWordsBelow(long seed, long first, int threshold, int[] keep, int off, int n);

    void zeroDropped(float[] x, int[] keep, int n);

    void packKeep(int[] keep, int n, long[] bits, long first);

    long drawBand(float[] x, int[] draws, int off, int n, int low, int high, int[] keys, int[] keep);

    int stableRank(int[] keys, int n, int k);

    void magnitudeWindow(float[] x, int n, int lowKey, int highKey, long[] ties, float scale);

    void keepBits(float[] x, int n, long[] bits, long first);

    void electedMix(float[][] d, float[] w, float[] base, float lambda, boolean normalize, float[] out, int n);

    void countElectedMix(float[][] t, float[] w, boolean voteBySign, float[] base, float[] out, int n);

    double softmaxKl(float[] x, float[] y, int off, int len, double eps, double[] scratch);

    void populationVariance(float[][] xs, float[] out, int n);

    int zeroWhereKeyBelow(int[] keys, int key, float[][] xs, int n);

    void electedWeightedMean(float[][] t, float[] c, float floor, float[] base, float[] out, int n);

    int countBothNonZero(float[] x, float[] y, int n);

    int countSignConflicts(float[] x, float[] y, int n);

    /** {@link FloatKernels#positionKeysAtOrAbove} from an even {@code start}, appending at {@code offsets[count]}. */
    int positionKeysAtOrAbove(long stream, long start, int n, int bound, int[] offsets, int count);

    void scaledAbsDifference(float[] x, float[] y, int off, int n, double s, float[] out, int outOff);

    void keepLargeChanges(float[] x, float[] base, int off, int n, double s, float threshold, float[] out, int outOff);
}
