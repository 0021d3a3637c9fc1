package dev.mergelab.lora;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The k leading singular triplets of a dense m×n float32 matrix X ≈ U·diag(S)·Vᵀ.
 *
 * <p>Large matrices use the randomised range finder of Halko, Martinsson and Tropp (2011, Alg. 4.4 with
 * 5.1): Y = X·Ω for a Gaussian Ω with k + p columns, q power iterations re-orthonormalised by QR each
 * half step (Y ← X·orth(Xᵀ·orth(Y))) so that slowly decaying spectra are still captured, Q = orth(Y),
 * then the exact SVD of the small (k+p)×n matrix QᵀX. All passes over X are {@link Gemm} kernels in
 * float32; only the thin QR and the small SVD (EJML, float64) see (k+p)-wide matrices. Matrices whose
 * smaller side is at most k + p are decomposed exactly with EJML instead: no sketch can be cheaper.
 *
 * <p>Deterministic: Ω comes from {@code seed}.
 */
public final class TruncatedSvd {

    /** U is m×k, S has k values (descending), Vt is k×n; all row-major. */
    public record Result(int m, int n, int k, float[] u, float[] s, float[] vt) {
    }

    private TruncatedSvd() {
    }

    public static Result compute(float[] x, int m, int n, int k, int oversample, int powerIterations, long seed) {
        int small = Math.min(m, n);
        k = Math.min(k, small);
        if (k + oversample >= small) {
            return exact(x, m, n, k);
        }
        int l = k + oversample;
        float[] omegaT = new float[l * n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < omegaT.length; i++) {
            omegaT[i] = (float) rnd.nextGaussian();
        }
        float[] y = new float[m * l];
        Gemm.multiplyTransposed(x, m, n, omegaT, l, y);
        DMatrixRMaj q = orthonormalColumns(y, m, l);
        float[] zt = new float[l * n];
        for (int it = 0; it < powerIterations; it++) {
            projectRows(q, x, m, n, l, zt);                       // Zt = QᵀX (l×n)
            DMatrixRMaj qz = orthonormalColumns(Factors.transpose(zt, l, n), n, l); // orth(XᵀQ), n×l
            float[] qzt = toFloatTransposed(qz);                  // l×n
            Gemm.multiplyTransposed(x, m, n, qzt, l, y);          // Y = X·orth(XᵀQ)
            q = orthonormalColumns(y, m, l);
        }
        projectRows(q, x, m, n, l, zt);                           // small matrix QᵀX (l×n)
        DMatrixRMaj b = new DMatrixRMaj(l, n);
        for (int i = 0; i < zt.length; i++) {
            b.data[i] = zt[i];
        }
        Svd small3 = svd(b);
        DMatrixRMaj u = new DMatrixRMaj(m, small3.u.numCols);
        CommonOps_DDRM.mult(q, small3.u, u);
        return truncate(u, small3.w, small3.vt, m, n, k);
    }

    /** Exact SVD of the whole matrix (EJML), truncated to k. */
    public static Result exact(float[] x, int m, int n, int k) {
        DMatrixRMaj a = new DMatrixRMaj(m, n);
        for (int i = 0; i < m * n; i++) {
            a.data[i] = x[i];
        }
        Svd s = svd(a);
        return truncate(s.u, s.w, s.vt, m, n, Math.min(k, Math.min(m, n)));
    }

    private record Svd(DMatrixRMaj u, DMatrixRMaj w, DMatrixRMaj vt) {
    }

    private static Svd svd(DMatrixRMaj a) {
        SingularValueDecomposition_F64<DMatrixRMaj> d = DecompositionFactory_DDRM.svd(a.numRows, a.numCols, true, true, true);
        if (!d.decompose(a)) {
            throw new IllegalStateException("SVD did not converge");
        }
        DMatrixRMaj u = d.getU(null, false);
        DMatrixRMaj w = d.getW(null);
        DMatrixRMaj vt = d.getV(null, true);
        SingularOps_DDRM.descendingOrder(u, false, w, vt, true);
        return new Svd(u, w, vt);
    }

    private static Result truncate(DMatrixRMaj u, DMatrixRMaj w, DMatrixRMaj vt, int m, int n, int k) {
        float[] uf = new float[m * k];
        float[] s = new float[k];
        float[] vf = new float[k * n];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                uf[i * k + c] = (float) u.get(i, c);
            }
        }
        for (int c = 0; c < k; c++) {
            s[c] = (float) w.get(c, c);
            for (int j = 0; j < n; j++) {
                vf[c * n + j] = (float) vt.get(c, j);
            }
        }
        return new Result(m, n, k, uf, s, vf);
    }

    /** Zt = QᵀX: Q is m×l (float64), X m×n; Zt is l×n. */
    private static void projectRows(DMatrixRMaj q, float[] x, int m, int n, int l, float[] zt) {
        float[] qf = new float[m * l];
        for (int i = 0; i < qf.length; i++) {
            qf[i] = (float) q.data[i];
        }
        java.util.Arrays.fill(zt, 0f);
        // W = Zt (l×n), L = Qᵀ read from Q with strides (row c of L is column c of Q), R = X (m×n), k = m.
        Gemm.addProduct(zt, l, n, qf, 0, 1, l, x, m, 1f);
    }

    /** The Q of a thin QR of the rows×cols matrix y (row-major float32). */
    private static DMatrixRMaj orthonormalColumns(float[] y, int rows, int cols) {
        DMatrixRMaj a = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < rows * cols; i++) {
            a.data[i] = y[i];
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(rows, cols);
        if (!qr.decompose(a)) {
            throw new IllegalStateException("QR failed");
        }
        return qr.getQ(null, true);
    }

    private static float[] toFloatTransposed(DMatrixRMaj q) {
        int rows = q.numRows;
        int cols = q.numCols;
        float[] t = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + i] = (float) q.data[i * cols + c];
            }
        }
        return t;
    }
}
