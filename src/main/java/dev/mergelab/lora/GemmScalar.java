package dev.mergelab.lora;

/** Plain-Java {@link Gemm} kernels: the reference, and the fallback without the Vector API. */
final class GemmScalar {

    private GemmScalar() {
    }

    static void addProduct(float[] w, int rows, int cols, float[] l, int lOff, int lrs, int lcs, float[] r, int k, float scale) {
        for (int j0 = 0; j0 < cols; j0 += Gemm.TILE) {
            int j1 = Math.min(cols, j0 + Gemm.TILE);
            for (int i = 0; i < rows; i++) {
                int wRow = i * cols;
                for (int c = 0; c < k; c++) {
                    float a = scale * l[lOff + i * lrs + c * lcs];
                    if (a == 0f) {
                        continue;
                    }
                    int rRow = c * cols;
                    for (int j = j0; j < j1; j++) {
                        w[wRow + j] = Math.fma(a, r[rRow + j], w[wRow + j]);
                    }
                }
            }
        }
    }

    static void multiplyTransposed(float[] x, int m, int n, float[] mt, int l, float[] c) {
        for (int i = 0; i < m; i++) {
            for (int q = 0; q < l; q++) {
                float s = 0f;
                for (int j = 0; j < n; j++) {
                    s = Math.fma(x[i * n + j], mt[q * n + j], s);
                }
                c[i * l + q] = s;
            }
        }
    }
}
