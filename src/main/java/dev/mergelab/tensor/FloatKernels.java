package dev.mergelab.tensor;

import java.util.Objects;

/**
 * Float32 kernels for merge methods and the engine, dispatched to the implementation chosen by
 * {@link Vectorization}. Arguments are checked here once, so the loops behind them run without
 * surprises.
 *
 * <h2>Semantics (identical in every implementation)</h2>
 * <ul>
 *   <li>Element-wise kernels perform exactly the operation written, one rounding per operation;
 *       {@code axpy} and {@code weightedSum} use fused multiply-add (one rounding for {@code w·x + acc}).
 *       Results are bit-identical across implementations except that where the result is NaN, which
 *       NaN (payload) is unspecified.</li>
 *   <li>Reductions ({@link #dot}, {@link #sumSquares}, {@link #l1Norm}) return double. The input is cut
 *       into blocks of {@value KernelSupport#REDUCTION_BLOCK} elements; within a block element {@code i}
 *       goes to float lane {@code i mod 32} (fused multiply-add for products); at the end of each block
 *       every float lane is added to its own double lane; the result is lane 0 + lane 1 + ... + lane 31
 *       in double. This is a fixed order, so results are the same on every CPU and vector width, and
 *       equal to the scalar reference bit for bit (NaN payloads aside).</li>
 * </ul>
 *
 * <h2>Why float partial sums folded into double</h2>
 * Accumulating in double throughout would halve the vector width (every element widened), and one
 * running float sum loses about {@code n·2^-24} relative accuracy on a multi-million element tensor.
 * Here each float lane sums only 32 terms before it is folded into double, so the worst-case relative
 * error from the float stage is about {@code 32·2^-24 ≈ 2e-6} of the sum of magnitudes (typically
 * {@code √32·2^-24 ≈ 3e-7}), independent of {@code n}; the double stage adds about {@code n/1024·2^-53}.
 * That is well inside the 1e-5 relative tolerance of the golden tests and close to what float64
 * accumulation gives, at float32 vector speed. The 32 lanes also give enough independent FMA chains to
 * hide FMA latency on AVX2.
 */
public final class FloatKernels {

    private static final KernelSupport K = Vectorization.kernels();

    private FloatKernels() {
    }

    /** {@code out[i] = fma(w, x[i], out[i])}: {@code out += w·x}. */
    public static void axpy(float w, float[] x, int xOff, float[] out, int outOff, int n) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        Objects.checkFromIndexSize(outOff, n, out.length);
        K.axpy(w, x, xOff, out, outOff, n);
    }

    /**
     * {@code out[i] = Σ_k weights[k]·xs[k][xOff+i]}, evaluated as {@code acc = weights[0]·xs[0][i]} then
     * {@code acc = fma(weights[k], xs[k][i], acc)} for k = 1, 2, ... (so one input with weight 1 is
     * copied exactly, signed zeros included). One pass: each input is read once and {@code out} written
     * once, which beats repeated {@link #axpy} for three or more inputs. {@code out} may alias an input
     * at the same offset.
     */
    public static void weightedSum(float[][] xs, float[] weights, int xOff, float[] out, int outOff, int n) {
        if (xs.length == 0 || xs.length != weights.length) {
            throw new IllegalArgumentException("need one weight per input and at least one input, got "
                    + xs.length + " inputs and " + weights.length + " weights");
        }
        for (float[] x : xs) {
            Objects.checkFromIndexSize(xOff, n, x.length);
        }
        Objects.checkFromIndexSize(outOff, n, out.length);
        K.weightedSum(xs, weights, xOff, out, outOff, n);
    }

    /** {@code out[i] = x[i]·s}; {@code out} may be {@code x}. */
    public static void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        Objects.checkFromIndexSize(outOff, n, out.length);
        K.scale(s, x, xOff, out, outOff, n);
    }

    /** In place: {@code x[i] *= s}. */
    public static void scale(float s, float[] x, int off, int n) {
        scale(s, x, off, x, off, n);
    }

    /** {@code out[i] = a[i] - b[i]} (a task vector from a fine-tune and its base); {@code out} may alias. */
    public static void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        Objects.checkFromIndexSize(aOff, n, a.length);
        Objects.checkFromIndexSize(bOff, n, b.length);
        Objects.checkFromIndexSize(outOff, n, out.length);
        K.sub(a, aOff, b, bOff, out, outOff, n);
    }

    /** Σ x[i]·y[i], blocked as described on the class. */
    public static double dot(float[] x, int xOff, float[] y, int yOff, int n) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        Objects.checkFromIndexSize(yOff, n, y.length);
        return K.dot(x, xOff, y, yOff, n);
    }

    /** Σ x[i]², the squared L2 norm, blocked as described on the class. */
    public static double sumSquares(float[] x, int xOff, int n) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        return K.sumSquares(x, xOff, n);
    }

    /** Σ |x[i]|, blocked as described on the class. */
    public static double l1Norm(float[] x, int xOff, int n) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        return K.l1Norm(x, xOff, n);
    }

    /** max |x[i]|; 0 for n = 0; {@link Float#NaN} (canonical) if any element is NaN. */
    public static float maxAbs(float[] x, int xOff, int n) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        return K.maxAbs(x, xOff, n);
    }

    /**
     * The magnitude key of a float: its bits without the sign. Keys of non-negative floats order like the
     * floats, +0 and -0 share a key, infinity is {@code 0x7F800000} and every NaN sorts above it.
     */
    public static int magnitudeKey(float v) {
        return Float.floatToRawIntBits(v) & 0x7FFFFFFF;
    }

    /** {@code keys[i] = magnitudeKey(x[i])}. */
    public static void magnitudeKeys(float[] x, int xOff, int[] keys, int keysOff, int n) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        Objects.checkFromIndexSize(keysOff, n, keys.length);
        K.magnitudeKeys(x, xOff, keys, keysOff, n);
    }

    /** How many elements have {@code magnitudeKey(x[i]) > key}. */
    public static int countMagnitudeAbove(float[] x, int xOff, int n, int key) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        return K.countMagnitudeAbove(x, xOff, n, key);
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

    /** SplitMix64's increment: the golden ratio in 64-bit fixed point. */
    static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    /**
     * Output {@code index} (0-based) of SplitMix64 started at {@code seed}: the Weyl state
     * {@code seed + (index + 1)·γ} through the SplitMix64 finaliser. Computable without the earlier
     * outputs, which is what makes position-keyed random masks possible.
     */
    public static long splitMix64(long seed, long index) {
        long z = seed + (index + 1) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Whether every one of {@code x[0..n)} is finite (no NaN, no ±Inf): the engine's check of each output. */
    public static boolean allFinite(float[] x, int n) {
        Objects.checkFromIndexSize(0, n, x.length);
        return K.allFinite(x, n);
    }

    /**
     * Random word {@code word} (0-based) of SplitMix64 started at {@code seed} read as 32-bit halves:
     * the low half of output {@code word >>> 1} for an even word, the high half for an odd one. One
     * 64-bit output feeds two positions, which halves the hashing where 32 random bits suffice.
     */
    public static int splitMix32(long seed, long word) {
        return (int) (splitMix64(seed, word >>> 1) >>> ((word & 1) << 5));
    }

    /**
     * {@code out[outOff + i] = splitMix32(seed, first + i)} for i &lt; n; the words are positions, so
     * {@code [first, first + n)} must lie in [0, 2^63).
     */
    public static void splitMix32(long seed, long first, int[] out, int outOff, int n) {
        Objects.checkFromIndexSize(outOff, n, out.length);
        checkPositions(first, n);
        if (n > 0 && (first & 1) != 0) {   // the kernels start on a whole 64-bit output
            out[outOff] = splitMix32(seed, first);
            first++;
            outOff++;
            n--;
        }
        K.splitMix32(seed, first, out, outOff, n);
    }

    /**
     * A Bernoulli keep mask straight from the 32-bit words: {@code keep[i]} = −1 where
     * {@code splitMix32(seed, first + i)} is below {@code threshold} (both unsigned), else 0, for i &lt; n.
     * Positions as for {@link #splitMix32(long, long, int[], int, int)}.
     */
    public static void keepWordsBelow(long seed, long first, int threshold, int[] keep, int n) {
        Objects.checkFromIndexSize(0, n, keep.length);
        checkPositions(first, n);
        int off = 0;
        if (n > 0 && (first & 1) != 0) {   // the kernels start on a whole 64-bit output
            keep[0] = Integer.compareUnsigned(splitMix32(seed, first), threshold) < 0 ? -1 : 0;
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

    /** How many positions have both {@code x[k]} and {@code y[k]} non-zero ({@code != 0f}: NaN counts, −0 does not). */
    public static int countBothNonZero(float[] x, float[] y, int n) {
        Objects.checkFromIndexSize(0, n, x.length);
        Objects.checkFromIndexSize(0, n, y.length);
        return K.countBothNonZero(x, y, n);
    }

    /**
     * How many positions have {@code x[k]} and {@code y[k]} both non-zero with opposite sign bits: the sign
     * conflicts of two task vectors (compat's statistic).
     */
    public static int countSignConflicts(float[] x, float[] y, int n) {
        Objects.checkFromIndexSize(0, n, x.length);
        Objects.checkFromIndexSize(0, n, y.length);
        return K.countSignConflicts(x, y, n);
    }

    /**
     * The offsets j in [0, n) whose position key is at least {@code bound}, in ascending order, into
     * {@code offsets}; returns how many. The position key of position p is the top 30 bits of its 32-bit
     * word {@code splitMix32(stream, p) >>> 2} (the word as
     * {@code dev.mergelab.method.kernel.PositionRandom#word}), here for p = start + j: the scan behind
     * arcee_fusion's sample, which looks at every position of a tensor. Positions lie in [0, 2^63).
     */
    public static int positionKeysAtOrAbove(long stream, long start, int n, int bound, int[] offsets) {
        Objects.checkFromIndexSize(0, n, offsets.length);
        checkPositions(start, n);
        if (n > 0 && (start & 1) != 0) {   // the kernels start on a whole 64-bit output
            int count = splitMix32(stream, start) >>> 2 >= bound ? 1 : 0;
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

    /**
     * Word positions [first, first + n) lie in [0, 2^63): the kernels step a 64-bit output index
     * (first / 2), which must not wrap where the position would not.
     */
    private static void checkPositions(long first, int n) {
        if (first < 0 || first > Long.MAX_VALUE - n) {
            throw new IllegalArgumentException("positions [" + first + ", +" + n + ") outside [0, 2^63)");
        }
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
