package dev.mergelab.tensor;

import java.util.Objects;

/**
 * The quantized matrix kernels of the forward pass: {@code W·x} and {@code X·Wᵀ} where W is a {@link QuantMatrix} of
 * ggml blocks read in place. Every result has the bits of {@link MatrixKernels}' F32 kernel applied to the matrix
 * dequantized as ggml's dequantize_row_* does ({@link QuantDecode}): each weight is dequantized to that float and
 * multiplied by the float activation with one FMA into lane {@code k mod L}, the order {@link MatrixKernels} documents.
 *
 * <p>Implementations, chosen by the same switch as every other kernel ({@link Vectorization}): with the Vector API
 * matrix kernels in use, {@link #matvec} runs {@link QuantVectorMatvec} (blocks dequantized in registers, or unpacked
 * to bytes in L1, and fed to the FMA chains of several rows) where it supports the vector width, and {@link #matmul} the
 * panel kernel of
 * {@link MatrixKernels} (rows dequantized once per panel by {@link VectorQuantDecode}, then the F32 register block);
 * otherwise both are the scalar reference ({@link MatrixKernels} with the scalar support), with the same bits.
 *
 * <p>Why float activations and not llama.cpp's (which quantizes x to Q8_0/Q8_K and sums integer products): see
 * {@link QuantVectorMatvec}.
 */
public final class QuantKernels {

    /** True when the Vector API matrix kernels were chosen (then the fused vector matvec is used where it applies). */
    private static final boolean VECTOR =
            Vectorization.vectorMatrices().filter(v -> v == Vectorization.matrices()).isPresent();

    private QuantKernels() {
    }

    /** {@code y[yOff + r − rowFrom] = Σ_k w[r, k]·x[xOff + k]} for r in [rowFrom, rowTo). */
    public static void matvec(QuantMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, w.rows());
        Objects.checkFromIndexSize(xOff, w.cols(), x.length);
        Objects.checkFromIndexSize(yOff, rowTo - rowFrom, y.length);
        if (VECTOR && QuantVectorMatvec.supports(w)) {
            QuantVectorMatvec.matvec(w, x, xOff, y, yOff, rowFrom, rowTo);
        } else {
            MatrixKernels.matvec(w, x, xOff, y, yOff, rowFrom, rowTo);
        }
    }

    /** {@code y[t·yStride + r] = Σ_k w[r, k]·x[t·cols + k]} for t &lt; tokens, r in [rowFrom, rowTo). */
    public static void matmul(QuantMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        MatrixKernels.matmul(w, x, tokens, y, yStride, rowFrom, rowTo);
    }
}
