package dev.mergelab.lora;

import dev.mergelab.tensor.VectorShapes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API {@link Gemm} kernels at the provider's width. Loaded only when the tensor kernels are vectorised. */
final class GemmVector {

    private static final VectorSpecies<Float> S = VectorShapes.floats();
    private static final int V = S.length();

    private GemmVector() {
    }

    static void addProduct(float[] w, int rows, int cols, float[] l, int lOff, int lrs, int lcs, float[] r, int k, float scale) {
        for (int j0 = 0; j0 < cols; j0 += Gemm.TILE) {
            int j1 = Math.min(cols, j0 + Gemm.TILE);
            if (k <= rows) {
                // Few terms per row (applying an adapter): R's tile (k rows) stays in cache, W streams once.
                for (int i = 0; i < rows; i++) {
                    rowUpdate(w, i * cols, j0, j1, l, lOff + i * lrs, lcs, r, cols, 0, k, scale);
                }
            } else {
                // Many terms, few rows (QᵀΔ): W's tile stays in cache, R (Δ) is read once per tile.
                for (int c0 = 0; c0 < k; c0 += 4) {
                    int c1 = Math.min(k, c0 + 4);
                    for (int i = 0; i < rows; i++) {
                        rowUpdate(w, i * cols, j0, j1, l, lOff + i * lrs, lcs, r, cols, c0, c1, scale);
                    }
                }
            }
        }
    }

    /** W[wRow + j0..j1] += scale · Σ_{c in [c0,c1)} L(c) · R[c, j0..j1], four terms per load/store of W. */
    private static void rowUpdate(float[] w, int wRow, int j0, int j1, float[] l, int lBase, int lcs, float[] r, int cols,
            int c0, int c1, float scale) {
        int c = c0;
        for (; c + 4 <= c1; c += 4) {
            float a0 = scale * l[lBase + c * lcs];
            float a1 = scale * l[lBase + (c + 1) * lcs];
            float a2 = scale * l[lBase + (c + 2) * lcs];
            float a3 = scale * l[lBase + (c + 3) * lcs];
            int r0 = c * cols;
            int r1 = r0 + cols;
            int r2 = r1 + cols;
            int r3 = r2 + cols;
            int j = j0;
            FloatVector v0 = FloatVector.broadcast(S, a0);
            FloatVector v1 = FloatVector.broadcast(S, a1);
            FloatVector v2 = FloatVector.broadcast(S, a2);
            FloatVector v3 = FloatVector.broadcast(S, a3);
            for (; j + V <= j1; j += V) {
                FloatVector acc = FloatVector.fromArray(S, w, wRow + j);
                acc = FloatVector.fromArray(S, r, r0 + j).fma(v0, acc);
                acc = FloatVector.fromArray(S, r, r1 + j).fma(v1, acc);
                acc = FloatVector.fromArray(S, r, r2 + j).fma(v2, acc);
                acc = FloatVector.fromArray(S, r, r3 + j).fma(v3, acc);
                acc.intoArray(w, wRow + j);
            }
            for (; j < j1; j++) {
                float x = w[wRow + j];
                x = Math.fma(a0, r[r0 + j], x);
                x = Math.fma(a1, r[r1 + j], x);
                x = Math.fma(a2, r[r2 + j], x);
                x = Math.fma(a3, r[r3 + j], x);
                w[wRow + j] = x;
            }
        }
        for (; c < c1; c++) {
            float a = scale * l[lBase + c * lcs];
            FloatVector va = FloatVector.broadcast(S, a);
            int rr = c * cols;
            int j = j0;
            for (; j + V <= j1; j += V) {
                FloatVector.fromArray(S, r, rr + j).fma(va, FloatVector.fromArray(S, w, wRow + j)).intoArray(w, wRow + j);
            }
            for (; j < j1; j++) {
                w[wRow + j] = Math.fma(a, r[rr + j], w[wRow + j]);
            }
        }
    }

    static void multiplyTransposed(float[] x, int m, int n, float[] mt, int l, float[] c) {
        int tile = 4 * Gemm.TILE;
        for (int j0 = 0; j0 < n; j0 += tile) {
            int j1 = Math.min(n, j0 + tile);
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int x0 = i * n;
                int x1 = x0 + n;
                int x2 = x1 + n;
                int x3 = x2 + n;
                for (int q = 0; q < l; q++) {
                    int mq = q * n;
                    FloatVector s0 = FloatVector.zero(S);
                    FloatVector s1 = FloatVector.zero(S);
                    FloatVector s2 = FloatVector.zero(S);
                    FloatVector s3 = FloatVector.zero(S);
                    int j = j0;
                    for (; j + V <= j1; j += V) {
                        FloatVector mv = FloatVector.fromArray(S, mt, mq + j);
                        s0 = FloatVector.fromArray(S, x, x0 + j).fma(mv, s0);
                        s1 = FloatVector.fromArray(S, x, x1 + j).fma(mv, s1);
                        s2 = FloatVector.fromArray(S, x, x2 + j).fma(mv, s2);
                        s3 = FloatVector.fromArray(S, x, x3 + j).fma(mv, s3);
                    }
                    float t0 = s0.reduceLanes(VectorOperators.ADD);
                    float t1 = s1.reduceLanes(VectorOperators.ADD);
                    float t2 = s2.reduceLanes(VectorOperators.ADD);
                    float t3 = s3.reduceLanes(VectorOperators.ADD);
                    for (; j < j1; j++) {
                        float mv = mt[mq + j];
                        t0 = Math.fma(x[x0 + j], mv, t0);
                        t1 = Math.fma(x[x1 + j], mv, t1);
                        t2 = Math.fma(x[x2 + j], mv, t2);
                        t3 = Math.fma(x[x3 + j], mv, t3);
                    }
                    c[i * l + q] += t0;
                    c[(i + 1) * l + q] += t1;
                    c[(i + 2) * l + q] += t2;
                    c[(i + 3) * l + q] += t3;
                }
            }
            for (; i < m; i++) {
                int xi = i * n;
                for (int q = 0; q < l; q++) {
                    int mq = q * n;
                    FloatVector s0 = FloatVector.zero(S);
                    int j = j0;
                    for (; j + V <= j1; j += V) {
                        s0 = FloatVector.fromArray(S, x, xi + j).fma(FloatVector.fromArray(S, mt, mq + j), s0);
                    }
                    float t = s0.reduceLanes(VectorOperators.ADD);
                    for (; j < j1; j++) {
                        t = Math.fma(x[xi + j], mt[mq + j], t);
                    }
                    c[i * l + q] += t;
                }
            }
        }
    }
}
