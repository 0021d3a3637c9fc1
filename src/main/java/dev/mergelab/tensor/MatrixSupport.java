package dev.mergelab.tensor;

/**
 * The forward pass's kernels behind one interface, so that the scalar reference and the Vector API
 * implementation can be swapped at start-up (see {@link Vectorization}). Use them through
 * {@link MatrixKernels}, which checks arguments and documents the exact order of every sum; the
 * implementations with the same {@link #lanes()} give the same bits (NaN payloads aside).
 */
public interface MatrixSupport {

    /** A short name for logs and benchmark tables, e.g. {@code scalar-16} or {@code vector-512}. */
    String name();

    /** The float lanes of every dot product: element k is summed into lane {@code k mod lanes()}. */
    int lanes();

    /** {@code y[yOff + r - rowFrom] = row r of w · x[xOff..]} for r in [rowFrom, rowTo). */
    void matvec(RowMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo);

    /** {@code y[t·yStride + r] = row r of w · x[t·cols..]} for t < tokens, r in [rowFrom, rowTo). */
    void matmul(RowMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo);

    /** As {@link #matvec(RowMatrix, float[], int, float[], int, int, int)} over the dequantized blocks of {@code w}. */
    void matvec(QuantMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo);

    /** As {@link #matmul(RowMatrix, float[], int, float[], int, int, int)} over the dequantized blocks of {@code w}. */
    void matmul(QuantMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo);

    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code out[outOff + j] = dot(q, qOff, k, kOff + j·kStride, n)} for j < count. */
    void dots(float[] q, int qOff, float[] k, int kOff, int kStride, int count, int n, float[] out, int outOff);

    /** {@code out[outOff + i] = fma(p[pOff + j], v[vOff + j·vStride + i], out[outOff + i])} for j = 0 .. count−1 in turn, i < n. */
    void weightedSum(float[] p, int pOff, int count, float[] v, int vOff, int vStride, int n, float[] out, int outOff);

    void rmsNorm(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, int n, float eps, boolean onePlusWeight);

    void softmax(float[] x, int off, int n);
}
