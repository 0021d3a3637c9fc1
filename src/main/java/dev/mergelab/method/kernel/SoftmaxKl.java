package dev.mergelab.method.kernel;

/**
 * The scalar reference of {@link MethodKernels#softmaxKl}, and the exponential and logarithm it uses.
 * <pre>
 *   e_k = exp(x_k − max x),  f_k = exp(y_k − max y)       (float64; x_k widened exactly)
 *   S = Σ e_k,  T = Σ f_k
 *   p_k = e_k/S + ε,  q_k = f_k/T + ε
 *   KL = Σ p_k·ln(p_k/q_k)
 * </pre>
 * Each operation is rounded once. The three sums are kept in {@value #LANES} double lanes, element k
 * going to lane {@code k mod 8}, and the lanes are added 0 to 7 at the end: a fixed order that a vector
 * of 2, 4 or 8 doubles can follow.
 *
 * <p>A row whose values are all bfloat16 numbers (the low 16 bits of every float zero: a bf16
 * checkpoint, the usual case) of magnitude at most {@value #TABLE_LIMIT} takes e_k = e^{x_k} from a
 * table of every bf16 value's exponential ({@link StrictMath#exp}, correctly rounded to within an ulp)
 * instead of computing e^{x_k − max x}: softmax does not change under the shift, the shift only
 * guards against overflow, which cannot happen below e^{64}, and a lookup costs a fraction of an
 * exponential. The two forms differ in the last bits of the divergence only.
 *
 * <p>Why not {@link Math#exp} and {@link Math#log}: they have no vector form, and this kernel must give
 * the same bits whatever the CPU and whether or not the Vector API is used. {@link #exp} and {@link #log}
 * below are written as a fixed sequence of IEEE operations (fused multiply-adds, a division, bit
 * manipulation) that the vector implementation performs lane by lane; both are within about 2 ulp of
 * the exact result, so the divergence differs from one computed with {@code Math} in the last bits only.
 */
final class SoftmaxKl {

    /** Double accumulator lanes of the sums. */
    static final int LANES = 8;

    // exp: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series to r^13 (truncation below 5e-18).
    static final double EXP_MIN = -708;      // below it e^x (< 3.3e-308) is taken as 0, so 2^k stays normal
    static final double LOG2E = 0x1.71547652b82fep0;
    static final double SHIFTER = 0x1.8p52;  // adding it rounds to an integer held in the low bits
    static final double LN2_HI = 0x1.62e42fefa3800p-1;
    static final double LN2_LO = 0x1.ef35793c76730p-45;
    static final long EXP_BIAS = 1023L << 52;
    static final double E2 = 1.0 / 2;
    static final double E3 = 1.0 / 6;
    static final double E4 = 1.0 / 24;
    static final double E5 = 1.0 / 120;
    static final double E6 = 1.0 / 720;
    static final double E7 = 1.0 / 5040;
    static final double E8 = 1.0 / 40320;
    static final double E9 = 1.0 / 362880;
    static final double E10 = 1.0 / 3628800;
    static final double E11 = 1.0 / 39916800;
    static final double E12 = 1.0 / 479001600;
    static final double E13 = 1.0 / 6227020800L;

    // log: y = 2^e·m with m in [√½, √2), ln m = 2·atanh(s) = 2s + 2s³/3 + 2s⁵/5 + ..., s = (m−1)/(m+1),
    // |s| ≤ 0.172, so terms to s^23 leave less than 1e-17 relative.
    static final long SQRT_HALF_BITS = Double.doubleToRawLongBits(0x1.6a09e667f3bcdp-1);
    static final long SQRT_HALF_FRACTION = SQRT_HALF_BITS & 0xFFFFFFFFFFFFFL;
    static final long FRACTION_MASK = 0xFFFFFFFFFFFFFL;
    static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    static final double L3 = 2.0 / 3;
    static final double L5 = 2.0 / 5;
    static final double L7 = 2.0 / 7;
    static final double L9 = 2.0 / 9;
    static final double L11 = 2.0 / 11;
    static final double L13 = 2.0 / 13;
    static final double L15 = 2.0 / 15;
    static final double L17 = 2.0 / 17;
    static final double L19 = 2.0 / 19;
    static final double L21 = 2.0 / 21;
    static final double L23 = 2.0 / 23;

    private SoftmaxKl() {
    }

    static double divergence(float[] x, float[] y, int off, int len, double eps, double[] scratch) {
        double s = exponentials(x, off, len, scratch, 0);
        double t = exponentials(y, off, len, scratch, len);
        for (int k = 0; k < len; k++) {
            double p = scratch[k] / s + eps;
            double q = scratch[len + k] / t + eps;
            scratch[k] = p * log(p / q);
        }
        return laneSum(scratch, 0, len);
    }

    /** Rows of bf16 values up to this magnitude look their exponentials up (e^64 ≈ 6e27: sums cannot overflow). */
    static final float TABLE_LIMIT = 64f;
    static final int TABLE_LIMIT_BITS = Float.floatToRawIntBits(TABLE_LIMIT);

    /** e^v for every bf16 value v, by its 16 bits (only those of magnitude ≤ {@value #TABLE_LIMIT} are used). */
    private static final double[] EXP_BF16 = new double[1 << 16];

    static {
        for (int h = 0; h < EXP_BF16.length; h++) {
            EXP_BF16[h] = StrictMath.exp(Float.intBitsToFloat(h << 16));
        }
    }

    /** Whether every x_k is a bf16 value (low 16 bits zero) with |x_k| ≤ {@value #TABLE_LIMIT} (so not NaN or ±∞). */
    static boolean tableRow(float[] x, int off, int len) {
        int low = 0;
        int magnitude = 0;
        for (int k = 0; k < len; k++) {
            int bits = Float.floatToRawIntBits(x[off + k]);
            low |= bits & 0xFFFF;
            magnitude = Math.max(magnitude, bits & 0x7FFFFFFF);
        }
        return low == 0 && magnitude <= TABLE_LIMIT_BITS;
    }

    /** {@code out[at + k] = e^{x_k}} from the table, for a {@link #tableRow}. */
    static void lookUpExp(float[] x, int off, int len, double[] out, int at) {
        double[] table = EXP_BF16;
        for (int k = 0; k < len; k++) {
            out[at + k] = table[Float.floatToRawIntBits(x[off + k]) >>> 16];
        }
    }

    /** The row's e_k into {@code out[at..at+len)}, looked up or computed; returns their lane sum. */
    private static double exponentials(float[] x, int off, int len, double[] out, int at) {
        if (tableRow(x, off, len)) {
            lookUpExp(x, off, len, out, at);
            return laneSum(out, at, len);
        }
        return expShifted(x, off, len, out, at);
    }

    /** {@code out[at + k] = exp(x_k − max x)}; returns their sum. */
    private static double expShifted(float[] x, int off, int len, double[] out, int at) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
            max = Math.max(max, x[off + k]);
        }
        for (int k = 0; k < len; k++) {
            out[at + k] = exp(x[off + k] - max);
        }
        return laneSum(out, at, len);
    }

    /** Σ a[from + k] in {@value #LANES} lanes (k mod 8), lanes added 0 to 7. */
    static double laneSum(double[] a, int from, int len) {
        double[] lanes = new double[LANES];
        for (int k = 0; k < len; k++) {
            lanes[k & (LANES - 1)] += a[from + k];
        }
        return total(lanes);
    }

    /** Lane 0 + lane 1 + ... + lane 7, in that order. */
    static double total(double[] lanes) {
        double t = 0;
        for (double l : lanes) {
            t += l;
        }
        return t;
    }

    /** e^x for x ≤ 0 (0 below {@value #EXP_MIN}), or NaN for NaN. */
    static double exp(double x) {
        double xc = Math.max(x, EXP_MIN);
        double t = Math.fma(xc, LOG2E, SHIFTER);
        double k = t - SHIFTER;
        double r = Math.fma(k, -LN2_HI, xc);
        r = Math.fma(k, -LN2_LO, r);
        double p = E13;
        p = Math.fma(p, r, E12);
        p = Math.fma(p, r, E11);
        p = Math.fma(p, r, E10);
        p = Math.fma(p, r, E9);
        p = Math.fma(p, r, E8);
        p = Math.fma(p, r, E7);
        p = Math.fma(p, r, E6);
        p = Math.fma(p, r, E5);
        p = Math.fma(p, r, E4);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, E2);
        p = Math.fma(p, r, 1);
        p = Math.fma(p, r, 1);
        double twoToK = Double.longBitsToDouble((Double.doubleToRawLongBits(t) << 52) + EXP_BIAS);
        return x < EXP_MIN ? 0 : p * twoToK;
    }

    /** ln y for a positive normal y; +∞ and NaN are returned as they are. */
    static double log(double y) {
        // Subtracting √½'s fraction moves the binade boundary to √2: the exponent field becomes e + 1022
        // and the remaining fraction, put back on √½'s bits, is m.
        long bits = Double.doubleToRawLongBits(y) - SQRT_HALF_FRACTION;
        double e = Double.longBitsToDouble((bits >>> 52) + SHIFTER_BITS) - (SHIFTER + 1022);
        double m = Double.longBitsToDouble((bits & FRACTION_MASK) + SQRT_HALF_BITS);
        double f = m - 1;
        double s = f / (f + 2);
        double z = s * s;
        double r = L23;
        r = Math.fma(r, z, L21);
        r = Math.fma(r, z, L19);
        r = Math.fma(r, z, L17);
        r = Math.fma(r, z, L15);
        r = Math.fma(r, z, L13);
        r = Math.fma(r, z, L11);
        r = Math.fma(r, z, L9);
        r = Math.fma(r, z, L7);
        r = Math.fma(r, z, L5);
        r = Math.fma(r, z, L3);
        double lnm = Math.fma(s * z, r, s * 2);
        double result = Math.fma(e, LN2_HI, Math.fma(e, LN2_LO, lnm));
        return y < Double.POSITIVE_INFINITY ? result : y;
    }
}
