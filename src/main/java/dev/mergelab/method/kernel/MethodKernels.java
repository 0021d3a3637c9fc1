package dev.mergelab.method.kernel;

import dev.mergelab.tensor.FloatKernels;
import dev.mergelab.tensor.Vectorization;
import java.util.Objects;
import java.util.Optional;

/**
 * Float32 kernels that belong to one merge method each (arcee_fusion, sce, the TIES family, PEFT's
 * combine, the random sparsifiers' masks), dispatched like {@link FloatKernels}: the Vector API form when
 * {@link Vectorization#vectorised()} says so, else the scalar reference, bit-identical (NaN payloads
 * aside). Arguments are checked here once, so the loops behind them run without surprises.
 */
public final class MethodKernels {

    private static final MethodKernelSupport K =
            Vectorization.vectorised() && VectorMethodKernels.available() ? VectorMethodKernels.INSTANCE : ScalarMethodKernels.INSTANCE;

    private MethodKernels() {
    }

    /** The implementation in use. */
    public static MethodKernelSupport kernels() {
        return K;
    }

    /** The scalar reference, for tests and benchmarks. */
    public static MethodKernelSupport scalar() {
        return ScalarMethodKernels.INSTANCE;
    }

    /** The Vector API form if the tensor vector kernels are available, whether or not chosen. */
    public static Optional<MethodKernelSupport> vector() {
        return Vectorization.vectorKernels().isPresent() && VectorMethodKernels.available()
                ? Optional.of(VectorMethodKernels.INSTANCE) : Optional.empty();
    }

    /**
     * Top-k style magnitude cuts applied in place to {@code x[0..n)}, a chunk of a tensor whose chunks
     * come in index order. An element is inside the low cut when its magnitude key is above
     * {@code lowKey}, or equal to it while {@code ties[0] > 0} (each such element uses one); inside the
     * high cut likewise with {@code highKey} and {@code ties[1]}. Elements inside the low cut and not
     * inside the high cut are kept: {@code x[i]·scale}; the others become {@code (+0)·scale}, computed as
     * {@code intBitsToFloat(bits & keep) * scale} with keep all ones or zero. {@code ties} is updated
     * for the next chunk. A single cut is {@code highKey = Integer.MAX_VALUE} with {@code ties[1] = 0}.
     */
    public static void magnitudeWindow(float[] x, int n, int lowKey, int highKey, long[] ties, float scale) {
        Objects.checkFromIndexSize(0, n, x.length);
        Objects.checkFromIndexSize(0, 2, ties.length);
        K.magnitudeWindow(x, n, lowKey, highKey, ties, scale);
    }

    /**
     * A stored keep mask applied in place: {@code x[i]} for i &lt; n stays (its bits exactly, −0.0
     * included) when bit {@code first + i} of the bitset is set, else becomes +0. Bit b of the bitset
     * is bit {@code b & 63} of {@code bits[b >>> 6]}.
     */
    public static void keepBits(float[] x, int n, long[] bits, long first) {
        Objects.checkFromIndexSize(0, n, x.length);
        if (n > 0) {
            Objects.checkIndex((first + n - 1) >>> 6, bits.length);
            Objects.checkIndex(first >>> 6, bits.length);
        }
        K.keepBits(x, n, bits, first);
    }

    /**
     * A Bernoulli keep mask straight from the 32-bit words: {@code keep[i]} = −1 where
     * {@code FloatKernels.splitMix32(seed, first + i)} is below {@code threshold} (both unsigned), else 0, for i &lt; n.
     * Positions as for {@link FloatKernels#FloatKernels.splitMix32(long, long, int[], int, int)}.
     */
    public static void keepWordsBelow(long seed, long first, int threshold, int[] keep, int n) {
        Objects.checkFromIndexSize(0, n, keep.length);
        FloatKernels.checkPositions(first, n);
        int off = 0;
        if (n > 0 && (first & 1) != 0) {   // the kernels start on a whole 64-bit output
            keep[0] = Integer.compareUnsigned(FloatKernels.splitMix32(seed, first), threshold) < 0 ? -1 : 0;
            first++;
            off = 1;
        }
        K.keepWordsBelow(seed, first, threshold, keep, off, n - off);
    }

    /**
     * In place: {@code x[i] = x[i]} where {@code keep[i]} is −1 (its bits exactly, −0.0 included) and +0
     * where it is 0, for i &lt; n. {@code keep} holds only −1 and 0 (the AND of the bits is the rule).
     */
    public static void zeroDropped(float[] x, int[] keep, int n) {
        Objects.checkFromIndexSize(0, n, x.length);
        Objects.checkFromIndexSize(0, n, keep.length);
        K.zeroDropped(x, keep, n);
    }

    /**
     * Stores a keep mask as bits: bit {@code first + i} of the bitset (bit b is bit {@code b & 63} of
     * {@code bits[b >>> 6]}) becomes 1 where {@code keep[i]} is non-zero and 0 where it is 0, for
     * i &lt; n; every other bit is left as it was. What {@link #keepBits} applies.
     */
    public static void packKeep(int[] keep, int n, long[] bits, long first) {
        Objects.checkFromIndexSize(0, n, keep.length);
        if (first < 0) {
            throw new IllegalArgumentException("negative bit position " + first);
        }
        if (n > 0) {
            Objects.checkIndex((first + n - 1) >>> 6, bits.length);
        }
        K.packKeep(keep, n, bits, first);
    }

    /**
     * The first step of a rank-dependent keep decision, over {@code x[off..off+n)} and
     * {@code draws[off..off+n)}: {@code keys[i]} = the magnitude key of {@code x[off+i]} (its bits without
     * the sign); {@code keep[off+i]} = −1 where the draw is below {@code low} (unsigned: kept whatever
     * the rank), 1 where it is at least {@code low} and below {@code high} (the band, where the rank
     * decides), else 0. Returns the AND of the keys in the high 32 bits and their OR in the low 32 bits,
     * from which the caller sees which key bits vary.
     */
    public static long drawBand(float[] x, int[] draws, int off, int n, int low, int high, int[] keys, int[] keep) {
        Objects.checkFromIndexSize(off, n, x.length);
        Objects.checkFromIndexSize(off, n, draws.length);
        Objects.checkFromIndexSize(off, n, keep.length);
        Objects.checkFromIndexSize(0, n, keys.length);
        return K.drawBand(x, draws, off, n, low, high, keys, keep);
    }

    /**
     * The stable ascending rank of {@code keys[k]} among {@code keys[0..n)}: the keys below it plus the
     * equal keys before index k. Keys are non-negative (magnitude keys).
     */
    public static int stableRank(int[] keys, int n, int k) {
        Objects.checkFromIndexSize(0, n, keys.length);
        Objects.checkIndex(k, n);
        return K.stableRank(keys, n, k);
    }

    /**
     * The sign-consensus combine of TIES-style merges, element by element:
     * {@code vote = Σ_i w_i·d_i} (float, in input order); the elected sign is + where {@code vote ≥ 0};
     * term i agrees when {@code w_i·d_i} is non-zero with the elected sign;
     * {@code mix = Σ agreeing w_i·d_i}, {@code D = Σ agreeing w_i} (both float, in input order, disagreeing
     * terms adding +0); with {@code normalize}, {@code mix /= (D == 0 ? 1 : D)}; and
     * {@code out = base + lambda·mix}. Multiplications and additions are separate roundings (no fused
     * multiply-add), so every implementation gives identical bits.
     */
    public static void electedMix(float[][] d, float[] w, float[] base, float lambda, boolean normalize, float[] out, int n) {
        if (d.length != w.length) {
            throw new IllegalArgumentException("need one weight per input: " + d.length + " inputs, " + w.length + " weights");
        }
        for (float[] x : d) {
            Objects.checkFromIndexSize(0, n, x.length);
        }
        Objects.checkFromIndexSize(0, n, base.length);
        Objects.checkFromIndexSize(0, n, out.length);
        K.electedMix(d, w, base, lambda, normalize, out, n);
    }

    /**
     * PEFT's TIES combine, element by element: the vote is {@code Σ_i t_i} (or {@code Σ_i signum(t_i)}
     * with {@code voteBySign}), summed in float in input order, electing + where it is ≥ 0; term i agrees
     * when {@code t_i} is non-zero with the elected sign (the election is on the unweighted values);
     * {@code out = base + (Σ agreeing w_i·t_i) / max(count of agreeing, 1)}, all in float with separate
     * roundings, so every implementation gives identical bits.
     */
    public static void countElectedMix(float[][] t, float[] w, boolean voteBySign, float[] base, float[] out, int n) {
        checkMix(t, w, base, out, n);
        K.countElectedMix(t, w, voteBySign, base, out, n);
    }

    /**
     * KL(softmax x + eps ‖ softmax y + eps) over {@code x[off, off+len)} and {@code y[off, off+len)}, in
     * float64: arcee_fusion's per-row divergence. The exponentials, logarithms and the order of the sums
     * are fixed by {@link SoftmaxKl} (within about 2 ulp of {@code Math.exp}/{@code Math.log}), so every
     * implementation gives the same bits. NaN in a row gives NaN. {@code scratch} holds at least
     * {@code 2·len} doubles; {@code eps} is at least 2^-1000 and finite, which keeps every ratio the
     * logarithm sees a positive normal number.
     */
    public static double softmaxKl(float[] x, float[] y, int off, int len, double eps, double[] scratch) {
        Objects.checkFromIndexSize(off, len, x.length);
        Objects.checkFromIndexSize(off, len, y.length);
        Objects.checkFromIndexSize(0, 2L * len, scratch.length);
        if (!(eps >= 0x1p-1000 && eps < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("eps must be finite and at least 2^-1000, got " + eps);
        }
        return K.softmaxKl(x, y, off, len, eps, scratch);
    }

    /**
     * The population variance over the inputs at each position (sce's selection statistic):
     * {@code μ = (Σ_i x_i[j]) / m} and {@code out[j] = (float) (Σ_i (x_i[j] − μ)² / m)}, in float64 with
     * the sums in input order, each operation rounded once (no fused multiply-add), so every
     * implementation gives the same bits.
     */
    public static void populationVariance(float[][] xs, float[] out, int n) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("the variance needs at least one input");
        }
        for (float[] x : xs) {
            Objects.checkFromIndexSize(0, n, x.length);
        }
        Objects.checkFromIndexSize(0, n, out.length);
        K.populationVariance(xs, out, n);
    }

    /**
     * Sets {@code xs[i][j] = +0} for every input i where {@code keys[j] < key} (the positions a magnitude
     * cut drops outright), and returns how many keys equal {@code key}: the cut's ties, which the caller
     * decides in index order.
     */
    public static int zeroWhereKeyBelow(int[] keys, int key, float[][] xs, int n) {
        Objects.checkFromIndexSize(0, n, keys.length);
        for (float[] x : xs) {
            Objects.checkFromIndexSize(0, n, x.length);
        }
        return K.zeroWhereKeyBelow(keys, key, xs, n);
    }

    /**
     * sce's combine, element by element: the vote is {@code Σ_i t_i} (float, in input order), electing +
     * where it is ≥ 0; term i agrees when {@code t_i} is non-zero with the elected sign;
     * {@code out = base + (Σ agreeing c_i·t_i) / max(Σ agreeing c_i, floor)}, the sums in float in input
     * order over agreeing terms only, with separate roundings, so every implementation gives the same bits.
     */
    public static void electedWeightedMean(float[][] t, float[] c, float floor, float[] base, float[] out, int n) {
        checkMix(t, c, base, out, n);
        K.electedWeightedMean(t, c, floor, base, out, n);
    }

    /**
     * The offsets j in [0, n) whose position key is at least {@code bound}, in ascending order, into
     * {@code offsets}; returns how many. The position key of position p is the top 30 bits of its 32-bit
     * word {@code FloatKernels.splitMix32(stream, p) >>> 2} (the word as
     * {@code dev.mergelab.method.kernel.PositionRandom#word}), here for p = start + j: the scan behind
     * arcee_fusion's sample, which looks at every position of a tensor. Positions lie in [0, 2^63).
     */
    public static int positionKeysAtOrAbove(long stream, long start, int n, int bound, int[] offsets) {
        Objects.checkFromIndexSize(0, n, offsets.length);
        FloatKernels.checkPositions(start, n);
        if (n > 0 && (start & 1) != 0) {   // the kernels start on a whole 64-bit output
            int count = FloatKernels.splitMix32(stream, start) >>> 2 >= bound ? 1 : 0;
            offsets[0] = 0;
            int more = K.positionKeysAtOrAbove(stream, start + 1, n - 1, bound, offsets, count);
            for (int i = count; i < more; i++) {
                offsets[i]++;   // offsets from start + 1
            }
            return more;
        }
        return K.positionKeysAtOrAbove(stream, start, n, bound, offsets, 0);
    }

    /**
     * {@code out[outOff+i] = (float) (|x[off+i] − y[off+i]| · s)} with the difference and the product in
     * float64, each rounded once (arcee_fusion's importance: the change times its row's divergence).
     */
    public static void scaledAbsDifference(float[] x, float[] y, int off, int n, double s, float[] out, int outOff) {
        Objects.checkFromIndexSize(off, n, x.length);
        Objects.checkFromIndexSize(off, n, y.length);
        Objects.checkFromIndexSize(outOff, n, out.length);
        K.scaledAbsDifference(x, y, off, n, s, out, outOff);
    }

    /**
     * arcee_fusion's combine over elements {@code [off, off+n)}: {@code out[outOff+i] = b + (x − b)} where
     * the importance {@code (float) (|x − b| · s)} (as {@link #scaledAbsDifference}) is at least
     * {@code threshold}, else {@code b}, with {@code b = base[off+i]} and {@code x = x[off+i]}.
     */
    public static void keepLargeChanges(float[] x, float[] base, int off, int n, double s, float threshold, float[] out, int outOff) {
        Objects.checkFromIndexSize(off, n, x.length);
        Objects.checkFromIndexSize(off, n, base.length);
        Objects.checkFromIndexSize(outOff, n, out.length);
        K.keepLargeChanges(x, base, off, n, s, threshold, out, outOff);
    }

    /** One weight per term, and every term, the base and the output hold at least n elements. */
    private static void checkMix(float[][] t, float[] w, float[] base, float[] out, int n) {
        if (t.length != w.length) {
            throw new IllegalArgumentException("need one weight per input: " + t.length + " inputs, " + w.length + " weights");
        }
        for (float[] x : t) {
            Objects.checkFromIndexSize(0, n, x.length);
        }
        Objects.checkFromIndexSize(0, n, base.length);
        Objects.checkFromIndexSize(0, n, out.length);
    }
}
