package dev.mergelab.tensor;

import java.util.Objects;

/**
 * The forward pass's kernels (matrix-vector and matrix-matrix products over F32/F16/BF16 weights and ggml
 * Q8_0/Q4_0/Q4_K/Q6_K blocks read in place, dot, RMS norm, softmax), dispatched to the implementation chosen by {@link Vectorization}.
 * Arguments are checked here once. Every kernel is single-threaded; {@link ParallelRows} splits a row
 * range across threads.
 *
 * <h2>Order of the sums (identical in every implementation with the same lane count)</h2>
 * A dot product of length n over {@code L = } {@link #lanes()} float lanes (the vector width: 16 with
 * AVX-512, 8 with AVX2, 4 with NEON/SSE):
 * <pre>
 *   s[0..L) = +0
 *   for k = 0 .. n−1:  s[k mod L] = fma(a[k], b[k], s[k mod L])        (float, one rounding each)
 *   for h = L/2, L/4, ..., 1:  s[i] = s[i] + s[i + h]  for i &lt; h      (pairwise, halving)
 *   result = s[0]
 * </pre>
 * {@link #matvec}, {@link #matmul}, {@link #dot} and the sum of squares inside {@link #rmsNorm} all use
 * it, so a token gives the same bits through {@code matvec} and through {@code matmul}, whatever the
 * tiling, the row range or the number of threads. Weights are decoded exactly (every F16 and BF16 value
 * is a float), so the dtype does not enter the arithmetic. The scalar reference with the same {@code L}
 * gives the same bits (NaN payloads aside); different {@code L} differ in the last bits only.
 *
 * <h2>Accuracy</h2>
 * Each lane is a running float sum of n/L terms, so the error is at most about
 * {@code (n/L + log2 L)·2^-24} of {@code Σ|a_k·b_k|} and typically its square root: for a 5632-long row
 * with L = 8 about 4e-5 worst case, 2e-6 typical, relative to {@code Σ|a_k·b_k|}. The tests hold every
 * product within {@code (n/L + log2 L + 2)·2^-24·Σ|a_k·b_k|} of a float64 reference.
 */
public final class MatrixKernels {

    private static final MatrixSupport K = Vectorization.matrices();

    private MatrixKernels() {
    }

    /** The dot-product lane count L of the implementation in use. */
    public static int lanes() {
        return K.lanes();
    }

    /**
     * {@code y[yOff + r − rowFrom] = Σ_k w[r, k]·x[xOff + k]} for r in [rowFrom, rowTo): a range of the
     * rows of {@code W·x}, so that threads can each take one.
     */
    public static void matvec(RowMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, w.rows());
        Objects.checkFromIndexSize(xOff, w.cols(), x.length);
        Objects.checkFromIndexSize(yOff, rowTo - rowFrom, y.length);
        K.matvec(w, x, xOff, y, yOff, rowFrom, rowTo);
    }

    /** All rows: {@code y = W·x}. */
    public static void matvec(RowMatrix w, float[] x, float[] y) {
        matvec(w, x, 0, y, 0, 0, w.rows());
    }

    /**
     * {@code Y = X·Wᵀ} for a batch of tokens, rows [rowFrom, rowTo) of it: X is {@code [tokens, cols]}
     * row-major in {@code x}, and {@code y[t·yStride + r] = Σ_k w[r, k]·x[t·cols + k]}. Each token's
     * values equal what {@link #matvec} gives for it. The weights are decoded once per tile of tokens and
     * reused across the tile.
     */
    public static void matmul(RowMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, w.rows());
        if (tokens < 0 || yStride < rowTo) {
            throw new IllegalArgumentException("tokens " + tokens + " and stride " + yStride + " for rows up to " + rowTo);
        }
        Objects.checkFromIndexSize(0, Math.multiplyExact(tokens, w.cols()), x.length);
        if (tokens > 0) {
            Objects.checkFromIndexSize(0, Math.addExact(Math.multiplyExact(tokens - 1, yStride), rowTo), y.length);
        }
        K.matmul(w, x, tokens, y, yStride, rowFrom, rowTo);
    }

    /** All rows, {@code Y} as {@code [tokens, rows]} row-major. */
    public static void matmul(RowMatrix w, float[] x, int tokens, float[] y) {
        matmul(w, x, tokens, y, w.rows(), 0, w.rows());
    }

    /**
     * {@link #matvec(RowMatrix, float[], int, float[], int, int, int)} over ggml quantization blocks read in place:
     * each weight is dequantized exactly as ggml's dequantize_row_* does, in registers, and the sums run in the
     * same lane order, so the result has the bits of the F32 matvec of the dequantized matrix.
     *
     * <p>Why float activations and not llama.cpp's (which quantizes x to Q8_0/Q8_K and sums integer products): the
     * result is then exact with respect to the dequantized weights, so a quantized model's logits equal those of
     * its dequantized F32 copy bit for bit, independent of the thread count and of matvec versus matmul, and
     * tests can hold the kernels to "dequantize, then the F32 kernel" rather than to a second quantization's
     * error. Generation reads the same bytes either way (it is bound by memory); prefill pays float FMAs where
     * llama.cpp uses integer dot-product instructions that the Vector API does not expose.
     */
    public static void matvec(QuantMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, w.rows());
        Objects.checkFromIndexSize(xOff, w.cols(), x.length);
        Objects.checkFromIndexSize(yOff, rowTo - rowFrom, y.length);
        K.matvec(w, x, xOff, y, yOff, rowFrom, rowTo);
    }

    /** {@link #matmul(RowMatrix, float[], int, float[], int, int, int)} over ggml quantization blocks (see the quantized matvec). */
    public static void matmul(QuantMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, w.rows());
        if (tokens < 0 || yStride < rowTo) {
            throw new IllegalArgumentException("tokens " + tokens + " and stride " + yStride + " for rows up to " + rowTo);
        }
        Objects.checkFromIndexSize(0, Math.multiplyExact(tokens, w.cols()), x.length);
        if (tokens > 0) {
            Objects.checkFromIndexSize(0, Math.addExact(Math.multiplyExact(tokens - 1, yStride), rowTo), y.length);
        }
        K.matmul(w, x, tokens, y, yStride, rowFrom, rowTo);
    }

    /** {@code Σ a[aOff + k]·b[bOff + k]} for k &lt; n, in the lane order of the class. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        Objects.checkFromIndexSize(aOff, n, a.length);
        Objects.checkFromIndexSize(bOff, n, b.length);
        return K.dot(a, aOff, b, bOff, n);
    }

    /**
     * Attention scores: {@code out[outOff + j] = dot(q, qOff, k, kOff + j·kStride, n)} for j &lt; count (each
     * bit for bit what {@link #dot} gives), e.g. one query against {@code count} cached keys.
     */
    public static void dots(float[] q, int qOff, float[] k, int kOff, int kStride, int count, int n, float[] out, int outOff) {
        Objects.checkFromIndexSize(qOff, n, q.length);
        Objects.checkFromIndexSize(outOff, count, out.length);
        if (count > 0) {
            Objects.checkFromIndexSize(kOff, Math.addExact(Math.multiplyExact(count - 1, kStride), n), k.length);
        }
        K.dots(q, qOff, k, kOff, kStride, count, n, out, outOff);
    }

    /**
     * Attention's weighted sum of values: for j = 0 .. count−1 in turn,
     * {@code out[outOff + i] = fma(p[pOff + j], v[vOff + j·vStride + i], out[outOff + i])} for i &lt; n (one rounding
     * per term, in position order, so any split of the work over outputs gives the same bits).
     */
    public static void weightedSum(float[] p, int pOff, int count, float[] v, int vOff, int vStride, int n, float[] out,
            int outOff) {
        Objects.checkFromIndexSize(pOff, count, p.length);
        Objects.checkFromIndexSize(outOff, n, out.length);
        if (count > 0) {
            Objects.checkFromIndexSize(vOff, Math.addExact(Math.multiplyExact(count - 1, vStride), n), v.length);
        }
        K.weightedSum(p, pOff, count, v, vOff, vStride, n, out, outOff);
    }

    /**
     * RMS norm: {@code y[i] = x[i]·s·g[i]} (left to right, each product rounded once) with
     * {@code s = 1 / sqrt(dot(x, x)/n + eps)} (float, each operation rounded once) and
     * {@code g[i] = w[i]}, or {@code 1 + w[i]} with {@code onePlusWeight} (Gemma's norm). {@code y} may
     * be {@code x} at the same offset.
     */
    public static void rmsNorm(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, int n, float eps,
            boolean onePlusWeight) {
        Objects.checkFromIndexSize(xOff, n, x.length);
        Objects.checkFromIndexSize(wOff, n, w.length);
        Objects.checkFromIndexSize(yOff, n, y.length);
        K.rmsNorm(x, xOff, w, wOff, y, yOff, n, eps, onePlusWeight);
    }

    /**
     * Softmax of {@code x[off..off+n)} in place: {@code e_i = exp(x_i − max x)} with a fixed float
     * exponential (within about 1 ulp of {@link Math#exp}; 0 below −87.33, so −∞ scores get weight 0),
     * {@code S = Σ e_i} in the lane order of the class (plain adds), then {@code x_i = e_i·(1/S)}. A NaN
     * anywhere gives NaN everywhere; a row of only −∞ gives NaN.
     */
    public static void softmax(float[] x, int off, int n) {
        Objects.checkFromIndexSize(off, n, x.length);
        K.softmax(x, off, n);
    }
}
