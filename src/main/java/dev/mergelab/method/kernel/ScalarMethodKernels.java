package dev.mergelab.method.kernel;

import dev.mergelab.tensor.FloatKernels;

/**
 * The reference form of the merge methods' own kernels ({@link MethodKernels}). Each loop that the
 * vector form finishes with is a static {@code ...Tail} (or {@code ...Range}) method here.
 */
final class ScalarMethodKernels implements MethodKernelSupport {

    static final ScalarMethodKernels INSTANCE = new ScalarMethodKernels();

    private ScalarMethodKernels() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void keepWordsBelow(long seed, long first, int threshold, int[] keep, int off, int n) {
        for (int i = 0; i < n; i++) {
            keep[off + i] = Integer.compareUnsigned(FloatKernels.splitMix32(seed, first + i), threshold) < 0 ? -1 : 0;
        }
    }

    @Override
    public void zeroDropped(float[] x, int[] keep, int n) {
        zeroDroppedTail(x, keep, 0, n);
    }

    static void zeroDroppedTail(float[] x, int[] keep, int from, int n) {
        for (int i = from; i < n; i++) {
            x[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & keep[i]);
        }
    }

    @Override
    public void packKeep(int[] keep, int n, long[] bits, long first) {
        packKeepRange(keep, 0, n, bits, first);
    }

    /**
     * Bits {@code first + i} for i in [from, to), word by word: each touched word is assembled in a
     * register and stored once, keeping the bits outside the range.
     */
    static void packKeepRange(int[] keep, int from, int to, long[] bits, long first) {
        int i = from;
        while (i < to) {
            long p = first + i;
            int word = (int) (p >>> 6);
            int bit = (int) (p & 63);
            int take = Math.min(64 - bit, to - i);
            long w = 0;
            for (int b = 0; b < take; b++) {
                w |= (keep[i + b] != 0 ? 1L : 0L) << (bit + b);
            }
            long span = take == 64 ? -1L : ((1L << take) - 1) << bit;
            bits[word] = (bits[word] & ~span) | w;
            i += take;
        }
    }

    @Override
    public long drawBand(float[] x, int[] draws, int off, int n, int low, int high, int[] keys, int[] keep) {
        return drawBandTail(x, draws, off, 0, n, low, high, keys, keep, 0x7FFFFFFF, 0);
    }

    /** The reference loop from element {@code from}, folding into the AND/OR so far; also the vector tail. */
    static long drawBandTail(float[] x, int[] draws, int off, int from, int n, int low, int high,
                             int[] keys, int[] keep, int all, int any) {
        for (int i = from; i < n; i++) {
            int key = Float.floatToRawIntBits(x[off + i]) & 0x7FFFFFFF;
            keys[i] = key;
            all &= key;
            any |= key;
            int d = draws[off + i];
            keep[off + i] = Integer.compareUnsigned(d, low) < 0 ? -1 : Integer.compareUnsigned(d, high) < 0 ? 1 : 0;
        }
        return (long) all << 32 | (any & 0xFFFFFFFFL);
    }

    @Override
    public int stableRank(int[] keys, int n, int k) {
        return stableRankTail(keys, 0, n, k);
    }

    /** Of the stable rank of keys[k], the part contributed by indices [from, to). */
    static int stableRankTail(int[] keys, int from, int to, int k) {
        int key = keys[k];
        int r = 0;
        for (int j = from; j < to; j++) {
            r += keys[j] < key || keys[j] == key && j < k ? 1 : 0;
        }
        return r;
    }

    @Override
    public void magnitudeWindow(float[] x, int n, int lowKey, int highKey, long[] ties, float scale) {
        magnitudeWindowTail(x, 0, n, lowKey, highKey, ties, scale);
    }

    static void magnitudeWindowTail(float[] x, int from, int n, int lowKey, int highKey, long[] ties, float scale) {
        long lowTies = ties[0];
        long highTies = ties[1];
        for (int i = from; i < n; i++) {
            int bits = Float.floatToRawIntBits(x[i]);
            int key = bits & 0x7FFFFFFF;
            int inLow = (lowKey - key) >> 31;     // −1 when key > lowKey (keys are below 2^31)
            int inHigh = (highKey - key) >> 31;
            if (key == lowKey) {
                inLow = lowTies > 0 ? -1 : 0;
                lowTies -= inLow & 1;
            }
            if (key == highKey) {
                inHigh = highTies > 0 ? -1 : 0;
                highTies -= inHigh & 1;
            }
            x[i] = Float.intBitsToFloat(bits & inLow & ~inHigh) * scale;
        }
        ties[0] = lowTies;
        ties[1] = highTies;
    }

    @Override
    public void keepBits(float[] x, int n, long[] bits, long first) {
        keepBitsTail(x, 0, n, bits, first);
    }

    static void keepBitsTail(float[] x, int from, int n, long[] bits, long first) {
        for (int i = from; i < n; i++) {
            long b = first + i;
            int keep = -(int) ((bits[(int) (b >>> 6)] >>> b) & 1);   // a long shift uses b's low 6 bits
            x[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & keep);
        }
    }

    @Override
    public void electedMix(float[][] d, float[] w, float[] base, float lambda, boolean normalize, float[] out, int n) {
        electedMixTail(d, w, base, lambda, normalize, out, 0, n);
    }

    /** The reference loop, also the vector implementation's tail. */
    static void electedMixTail(float[][] d, float[] w, float[] base, float lambda, boolean normalize, float[] out, int from, int n) {
        int count = d.length;
        for (int j = from; j < n; j++) {
            float vote = 0;
            for (int i = 0; i < count; i++) {
                vote += w[i] * d[i][j];
            }
            boolean positive = vote >= 0;
            float mix = 0;
            float agreeing = 0;
            for (int i = 0; i < count; i++) {
                float wd = w[i] * d[i][j];
                boolean agree = positive ? wd > 0 : wd < 0;
                mix += agree ? wd : 0f;
                agreeing += agree ? w[i] : 0f;
            }
            if (normalize) {
                mix /= agreeing == 0 ? 1f : agreeing;
            }
            out[j] = base[j] + lambda * mix;
        }
    }

    @Override
    public void countElectedMix(float[][] t, float[] w, boolean voteBySign, float[] base, float[] out, int n) {
        countElectedMixTail(t, w, voteBySign, base, out, 0, n);
    }

    /** The reference loop, also the vector implementation's tail. */
    static void countElectedMixTail(float[][] t, float[] w, boolean voteBySign, float[] base, float[] out, int from, int n) {
        for (int j = from; j < n; j++) {
            float vote = 0;
            for (float[] ti : t) {
                vote += voteBySign ? Math.signum(ti[j]) : ti[j];
            }
            boolean positive = vote >= 0;
            float mix = 0;
            float agreeing = 0;
            for (int i = 0; i < t.length; i++) {
                float x = t[i][j];
                boolean agree = positive ? x > 0 : x < 0;
                mix += agree ? w[i] * x : 0f;
                agreeing += agree ? 1f : 0f;
            }
            out[j] = base[j] + mix / Math.max(agreeing, 1f);
        }
    }

    @Override
    public double softmaxKl(float[] x, float[] y, int off, int len, double eps, double[] scratch) {
        return SoftmaxKl.divergence(x, y, off, len, eps, scratch);
    }

    @Override
    public void populationVariance(float[][] xs, float[] out, int n) {
        populationVarianceTail(xs, out, 0, n);
    }

    /** The reference loop, also the vector implementation's tail. */
    static void populationVarianceTail(float[][] xs, float[] out, int from, int n) {
        int m = xs.length;
        for (int j = from; j < n; j++) {
            double mean = 0;
            for (float[] x : xs) {
                mean += x[j];
            }
            mean /= m;
            double ss = 0;
            for (float[] x : xs) {
                double dev = x[j] - mean;
                ss += dev * dev;
            }
            out[j] = (float) (ss / m);
        }
    }

    @Override
    public int zeroWhereKeyBelow(int[] keys, int key, float[][] xs, int n) {
        return zeroWhereKeyBelowTail(keys, key, xs, 0, n);
    }

    /** The reference loop, also the vector implementation's tail. */
    static int zeroWhereKeyBelowTail(int[] keys, int key, float[][] xs, int from, int n) {
        int equal = 0;
        for (int j = from; j < n; j++) {
            if (keys[j] < key) {
                for (float[] x : xs) {
                    x[j] = 0f;
                }
            }
            equal += keys[j] == key ? 1 : 0;
        }
        return equal;
    }

    @Override
    public void electedWeightedMean(float[][] t, float[] c, float floor, float[] base, float[] out, int n) {
        electedWeightedMeanTail(t, c, floor, base, out, 0, n);
    }

    /** The reference loop, also the vector implementation's tail. */
    static void electedWeightedMeanTail(float[][] t, float[] c, float floor, float[] base, float[] out, int from, int n) {
        for (int j = from; j < n; j++) {
            float vote = 0;
            for (float[] ti : t) {
                vote += ti[j];
            }
            boolean positive = vote >= 0;
            float num = 0;
            float den = 0;
            for (int i = 0; i < t.length; i++) {
                float x = t[i][j];
                if (positive ? x > 0 : x < 0) {
                    num += c[i] * x;
                    den += c[i];
                }
            }
            out[j] = base[j] + num / Math.max(den, floor);
        }
    }

    @Override
    public int positionKeysAtOrAbove(long stream, long start, int n, int bound, int[] offsets, int count) {
        return positionKeysAtOrAboveTail(stream, start, 0, n, bound, offsets, count);
    }

    /** The reference loop from {@code from}, appending to {@code offsets[count..)}; also the vector tail. */
    static int positionKeysAtOrAboveTail(long stream, long start, int from, int n, int bound, int[] offsets, int count) {
        for (int j = from; j < n; j++) {
            if (FloatKernels.splitMix32(stream, start + j) >>> 2 >= bound) {
                offsets[count++] = j;
            }
        }
        return count;
    }

    @Override
    public void scaledAbsDifference(float[] x, float[] y, int off, int n, double s, float[] out, int outOff) {
        scaledAbsDifferenceTail(x, y, off, 0, n, s, out, outOff);
    }

    /** The reference loop from element {@code from}, also the vector implementation's tail. */
    static void scaledAbsDifferenceTail(float[] x, float[] y, int off, int from, int n, double s, float[] out, int outOff) {
        for (int i = from; i < n; i++) {
            out[outOff + i] = (float) (Math.abs((double) x[off + i] - y[off + i]) * s);
        }
    }

    @Override
    public void keepLargeChanges(float[] x, float[] base, int off, int n, double s, float threshold, float[] out, int outOff) {
        keepLargeChangesTail(x, base, off, 0, n, s, threshold, out, outOff);
    }

    /** The reference loop from element {@code from}, also the vector implementation's tail. */
    static void keepLargeChangesTail(float[] x, float[] base, int off, int from, int n, double s, float threshold,
                                     float[] out, int outOff) {
        for (int i = from; i < n; i++) {
            float b = base[off + i];
            float importance = (float) (Math.abs((double) x[off + i] - b) * s);
            out[outOff + i] = importance >= threshold ? b + (x[off + i] - b) : b;
        }
    }
}
