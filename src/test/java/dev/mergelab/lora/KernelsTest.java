package dev.mergelab.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The blocked kernels against plain loops (odd sizes hit every tail), and the truncated SVD on known spectra. */
class KernelsTest {

    static float[] rand(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void addProductMatchesNaiveInBothLoopOrders() {
        for (int[] s : new int[][] {{37, 1029, 5}, {7, 600, 90}, {1, 3, 1}, {13, 17, 13}}) {
            int rows = s[0], cols = s[1], k = s[2];
            float[] w = rand(rows * cols, 1);
            float[] l = rand(rows * k, 2);
            float[] r = rand(k * cols, 3);
            float[] got = w.clone();
            Gemm.addProduct(got, rows, cols, l, 0, k, 1, r, k, 0.5f);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    double e = w[i * cols + j];
                    for (int c = 0; c < k; c++) {
                        e += 0.5 * l[i * k + c] * r[c * cols + j];
                    }
                    assertEquals(e, got[i * cols + j], 1e-4 * (1 + Math.sqrt(k)));
                }
            }
        }
    }

    @Test
    void multiplyTransposedMatchesNaive() {
        int m = 23, n = 2051, l = 9;
        float[] x = rand(m * n, 4);
        float[] mt = rand(l * n, 5);
        float[] c = new float[m * l];
        Gemm.multiplyTransposed(x, m, n, mt, l, c);
        for (int i = 0; i < m; i++) {
            for (int q = 0; q < l; q++) {
                double e = 0;
                for (int j = 0; j < n; j++) {
                    e += (double) x[i * n + j] * mt[q * n + j];
                }
                assertEquals(e, c[i * l + q], 1e-3);
            }
        }
    }

    @Test
    void randomisedSvdRecoversALowRankMatrixAndLeadingSingularValues() {
        int m = 300, n = 200, r = 6;
        float[] u = rand(m * r, 6);
        float[] v = rand(r * n, 7);
        float[] x = new float[m * n];
        Gemm.addProduct(x, m, n, u, 0, r, 1, v, r, 1f);
        TruncatedSvd.Result s = TruncatedSvd.compute(x, m, n, r, 10, 1, 42);
        TruncatedSvd.Result exact = TruncatedSvd.exact(x, m, n, r);
        for (int c = 0; c < r; c++) {
            assertEquals(exact.s()[c], s.s()[c], 1e-4 * exact.s()[0]);
        }
        float[] res = x.clone();
        float[] us = new float[m * r];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < r; c++) {
                us[i * r + c] = s.u()[i * r + c] * s.s()[c];
            }
        }
        Gemm.addProduct(res, m, n, us, 0, r, 1, s.vt(), r, -1f);
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (double) res[i] * res[i];
            den += (double) x[i] * x[i];
        }
        assertTrue(Math.sqrt(num / den) < 1e-5, "relative error " + Math.sqrt(num / den));
    }
}
