package dev.mergelab.method.kernel;

/**
 * The merge methods' own kernels (each with one merge method, or one kernel here, as its caller), behind
 * one interface so that the scalar reference and the Vector API form can be swapped by the same switch
 * as the tensor kernels ({@link dev.mergelab.tensor.Vectorization#vectorised()}). Use them through
 * {@link MethodKernels}, which documents the semantics and checks bounds.
 */
public interface MethodKernelSupport {

    String name();

    /** {@link MethodKernels#keepWordsBelow} from an even {@code first}, into {@code keep[off..off+n)}. */
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

    /** {@link MethodKernels#positionKeysAtOrAbove} from an even {@code start}, appending at {@code offsets[count]}. */
    int positionKeysAtOrAbove(long stream, long start, int n, int bound, int[] offsets, int count);

    void scaledAbsDifference(float[] x, float[] y, int off, int n, double s, float[] out, int outOff);

    void keepLargeChanges(float[] x, float[] base, int off, int n, double s, float threshold, float[] out, int outOff);
}
