package dev.mergelab.lora;

import dev.mergelab.tensor.Vectorization;
import java.util.Objects;

/**
 * The two dense products LoRA work needs, on row-major float32 arrays, blocked so the operand being
 * swept stays in cache and vectorised with the Vector API when {@link Vectorization} says so (scalar
 * otherwise, same results up to float rounding order):
 * <ul>
 *   <li>{@link #addProduct}: W += scale·L·R with L (rows×k, any strides) and R (k×cols). Applying an adapter
 *       (W += s·B·A, k = rank) and the sketch products QᵀΔ of the randomised SVD (k = rows of Δ) both are
 *       this. It works through W one column tile at a time; within a tile it picks the loop order that keeps
 *       the smaller of (rows of W, k) innermost, so either W's row tile or R's row tile stays in L1/L2 and
 *       each element of the large operand is read once per tile.</li>
 *   <li>{@link #multiplyTransposed}: C = X·Mᵀ (X m×n, M l×n), i.e. dot products of X's rows with M's rows,
 *       four rows of X at a time so every vector of M loaded feeds four FMAs; n is tiled so the four X rows
 *       stay in L1.</li>
 * </ul>
 */
public final class Gemm {

    /** Columns per tile: 512 floats = 2 KiB per row, so a few rows of R and W fit in L1. */
    static final int TILE = 512;

    /** The provider's choice: the vector kernels wherever the tensor kernels are vectorised. */
    private static final boolean VECTOR = Vectorization.vectorised();

    private Gemm() {
    }

    /** True when the Vector API kernels are in use. */
    public static boolean vectorised() {
        return VECTOR;
    }

    /**
     * W[i, j] += scale · Σ_c L(i, c) · R[c, j] for i < rows, j < cols, c < k, where
     * L(i, c) = l[lOff + i·lRowStride + c·lColStride] and R is k×cols row-major.
     */
    public static void addProduct(float[] w, int rows, int cols, float[] l, int lOff, int lRowStride, int lColStride,
            float[] r, int k, float scale) {
        Objects.checkFromIndexSize(0, Math.multiplyExact(rows, cols), w.length);
        Objects.checkFromIndexSize(0, Math.multiplyExact(k, cols), r.length);
        if (rows == 0 || cols == 0 || k == 0) {
            return;
        }
        long lastL = lOff + (long) (rows - 1) * lRowStride + (long) (k - 1) * lColStride;
        if (lOff < 0 || lastL >= l.length || lastL < 0) {
            throw new IndexOutOfBoundsException("L out of bounds");
        }
        if (VECTOR) {
            GemmVector.addProduct(w, rows, cols, l, lOff, lRowStride, lColStride, r, k, scale);
        } else {
            GemmScalar.addProduct(w, rows, cols, l, lOff, lRowStride, lColStride, r, k, scale);
        }
    }

    /** C[i, c] = Σ_j X[i, j]·M[c, j]: C (m×l) = X (m×n) · Mᵀ with M stored l×n. C is overwritten. */
    public static void multiplyTransposed(float[] x, int m, int n, float[] mt, int l, float[] c) {
        Objects.checkFromIndexSize(0, Math.multiplyExact(m, n), x.length);
        Objects.checkFromIndexSize(0, Math.multiplyExact(l, n), mt.length);
        Objects.checkFromIndexSize(0, Math.multiplyExact(m, l), c.length);
        java.util.Arrays.fill(c, 0, m * l, 0f);
        if (VECTOR) {
            GemmVector.multiplyTransposed(x, m, n, mt, l, c);
        } else {
            GemmScalar.multiplyTransposed(x, m, n, mt, l, c);
        }
    }
}
