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
     * Checks that word positions [first, first + n) lie in [0, 2^63): the kernels step a 64-bit output
     * index (first / 2), which must not wrap where the position would not. Public for the kernels in
     * higher layers that draw position-keyed words.
     */
    public static void checkPositions(long first, int n) {
        if (first < 0 || first > Long.MAX_VALUE - n) {
            throw new IllegalArgumentException("positions [" + first + ", +" + n + ") outside [0, 2^63)");
        }
    }
}
