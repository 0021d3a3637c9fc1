package dev.mergelab.tensor;

/**
 * The reference matrix kernels: every sum in the lane order {@link MatrixKernels} specifies, one element
 * at a time, for any power-of-two lane count (the vector implementation's, so that the two can be
 * compared bit for bit).
 */
final class ScalarMatrixSupport implements MatrixSupport {

    // exp: e^d = 2^n · e^r with n = round(d·log2 e), r = d − n·ln 2 (two-part ln 2), e^r by its Taylor
    // series to r^7 (|r| ≤ 0.35: truncation below 6e-9 relative, under an ulp).
    static final float EXP_CUTOFF = -87.33f;   // below it e^d is taken as 0, so 2^n stays a normal float
    static final float LOG2E = 1.44269504f;
    static final float SHIFTER = 0x1.8p23f;    // adding it rounds to an integer held in the low mantissa bits
    static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER);
    static final float LN2_HI = 0.693145752f;  // ln 2 with its low 9 bits zero, so n·LN2_HI is exact for |n| < 512
    static final float LN2_LO = 1.42860677e-6f;
    static final float P2 = 1f / 2;
    static final float P3 = 1f / 6;
    static final float P4 = 1f / 24;
    static final float P5 = 1f / 120;
    static final float P6 = 1f / 720;
    static final float P7 = 1f / 5040;

    private final int lanes;

    private ScalarMatrixSupport(int lanes) {
        this.lanes = lanes;
    }

    /** The reference with {@code lanes} dot-product lanes: a power of two from 1 to 64. */
    static ScalarMatrixSupport withLanes(int lanes) {
        if (lanes < 1 || lanes > 64 || Integer.bitCount(lanes) != 1) {
            throw new IllegalArgumentException("lanes must be a power of two in [1, 64], got " + lanes);
        }
        return new ScalarMatrixSupport(lanes);
    }

    @Override
    public String name() {
        return "scalar-" + lanes;
    }

    @Override
    public int lanes() {
        return lanes;
    }

    @Override
    public void matvec(RowMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            y[yOff + r - rowFrom] = matvecRow(w, r, x, xOff);
        }
    }

    @Override
    public void matmul(RowMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        for (int t = 0; t < tokens; t++) {
            for (int r = rowFrom; r < rowTo; r++) {
                y[t * yStride + r] = matvecRow(w, r, x, t * w.cols());
            }
        }
    }

    @Override
    public void matvec(QuantMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        float[] row = new float[w.cols()];
        for (int r = rowFrom; r < rowTo; r++) {
            decodeRow(w, r, row);
            y[yOff + r - rowFrom] = dot(row, 0, x, xOff, w.cols());
        }
    }

    @Override
    public void matmul(QuantMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        float[] row = new float[w.cols()];
        for (int r = rowFrom; r < rowTo; r++) {
            decodeRow(w, r, row);
            for (int t = 0; t < tokens; t++) {
                y[t * yStride + r] = dot(row, 0, x, t * w.cols(), w.cols());
            }
        }
    }

    /** Row r of a quantized matrix, dequantized by the reference decoder. */
    static void decodeRow(QuantMatrix w, int r, float[] row) {
        QuantDecode.decode(w.type(), w.data(), w.rowOffset(r), w.cols() / w.type().blockSize, row, 0);
    }

    /** Row r of w · x[xOff..], in lane order. */
    float matvecRow(RowMatrix w, int r, float[] x, int xOff) {
        float[] s = new float[lanes];
        for (int k = 0; k < w.cols(); k++) {
            int lane = k & (lanes - 1);
            s[lane] = Math.fma(w.get(r, k), x[xOff + k], s[lane]);
        }
        return treeSum(s, 0, lanes);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float[] s = new float[lanes];
        for (int k = 0; k < n; k++) {
            int lane = k & (lanes - 1);
            s[lane] = Math.fma(a[aOff + k], b[bOff + k], s[lane]);
        }
        return treeSum(s, 0, lanes);
    }

    @Override
    public void dots(float[] q, int qOff, float[] k, int kOff, int kStride, int count, int n, float[] out, int outOff) {
        for (int j = 0; j < count; j++) {
            out[outOff + j] = dot(q, qOff, k, kOff + j * kStride, n);
        }
    }

    @Override
    public void weightedSum(float[] p, int pOff, int count, float[] v, int vOff, int vStride, int n, float[] out, int outOff) {
        for (int j = 0; j < count; j++) {
            float w = p[pOff + j];
            int row = vOff + j * vStride;
            for (int i = 0; i < n; i++) {
                out[outOff + i] = Math.fma(w, v[row + i], out[outOff + i]);
            }
        }
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, int n, float eps, boolean onePlusWeight) {
        float inv = rmsScale(dot(x, xOff, x, xOff, n), n, eps);
        for (int i = 0; i < n; i++) {
            float g = onePlusWeight ? 1f + w[wOff + i] : w[wOff + i];
            y[yOff + i] = x[xOff + i] * inv * g;
        }
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        if (n == 0) {
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        float[] s = new float[lanes];
        for (int i = 0; i < n; i++) {
            float e = exp(x[off + i] - max);
            x[off + i] = e;
            s[i & (lanes - 1)] += e;
        }
        float inv = 1f / treeSum(s, 0, lanes);
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }

    /** {@code 1 / sqrt(sumSquares / n + eps)}, each operation rounded once in float. */
    static float rmsScale(float sumSquares, int n, float eps) {
        return 1f / (float) Math.sqrt(sumSquares / n + eps);
    }

    /**
     * The lanes {@code s[at..at+lanes)} added pairwise, halving: {@code s[at+i] += s[at+i+h]} for
     * i &lt; h, h = lanes/2, lanes/4, ..., 1; returns {@code s[at]}. Overwrites those lanes.
     */
    static float treeSum(float[] s, int at, int lanes) {
        for (int h = lanes >> 1; h > 0; h >>= 1) {
            for (int i = 0; i < h; i++) {
                s[at + i] += s[at + i + h];
            }
        }
        return s[at];
    }

    /**
     * e^d for d ≤ 0 (softmax's shifted scores) as a fixed sequence of float operations that the vector
     * form repeats lane by lane: within about 1 ulp of {@code Math.exp} above the cut-off, 0 below it
     * (and for −∞), NaN for NaN. Positive arguments are outside its contract.
     */
    static float exp(float d) {
        if (d < EXP_CUTOFF) {
            return 0f;
        }
        float t = Math.fma(d, LOG2E, SHIFTER);
        float n = t - SHIFTER;
        float r = Math.fma(n, -LN2_HI, d);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P7, r, P6);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float twoToN = Float.intBitsToFloat((Float.floatToRawIntBits(t) - SHIFTER_BITS + 127) << 23);
        return p * twoToN;
    }
}
