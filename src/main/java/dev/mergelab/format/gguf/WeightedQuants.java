package dev.mergelab.format.gguf;

import static dev.mergelab.format.gguf.KQuantSearch.nearestInt;

/**
 * The quantizers llama-quantize runs when it has an importance matrix: quantize_row_q4_0_impl ... q5_1_impl and
 * quantize_row_q2_K_impl ... q6_K_impl of ggml-quants.c with {@code quant_weights}, transcribed with the same float
 * operations in the same order and the same C integer conversions, so the bytes are identical. Each call encodes
 * one row of {@code n} floats {@code x[xo..]} with its per-column weights {@code qw[qo..qo+n)} (the importance
 * matrix row of the tensor or expert) into {@code y[yo..]}. Without weights ggml uses the reference quantizers
 * ({@link LegacyQuants}, {@link KQuantEncode}).
 */
final class WeightedQuants {

    private static final int QK = 32;
    private static final int QK_K = 256;

    private WeightedQuants() {
    }

    /** sum(x^2)/n over the whole row: the legacy types' sigma2 (the K types take it per super-block). */
    private static float rowSigma2(float[] x, int xo, int n) {
        float sumX2 = 0;
        for (int j = 0; j < n; ++j) {
            sumX2 += x[xo + j] * x[xo + j];
        }
        return sumX2 / n;
    }

    /** {@code qw[j] * sqrtf(sigma2 + x[j]^2)} over {@code count} elements. */
    private static void weigh(float[] x, int xo, float[] qw, int qo, float sigma2, float[] weight, int count) {
        for (int j = 0; j < count; ++j) {
            weight[j] = qw[qo + j] * (float) Math.sqrt(sigma2 + x[xo + j] * x[xo + j]);
        }
    }

    static void q4_0(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        float[] weight = new float[QK];
        byte[] L = new byte[QK];
        float sigma2 = rowSigma2(x, xo, n);
        for (int ib = 0; ib < n / QK; ++ib, yo += 18) {
            int xb = xo + QK * ib;
            weigh(x, xb, qw, qo + QK * ib, sigma2, weight, QK);
            float d = KQuantSearch.makeQxQuants(QK, 8, x, xb, L, 0, 1, weight, 0);
            Half.putU16(y, yo, Half.fromFloat(d));
            for (int j = 0; j < 16; ++j) {
                y[yo + 2 + j] = (byte) (L[j] | (L[j + 16] << 4));
            }
        }
    }

    static void q4_1(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        float[] weight = new float[QK];
        byte[] L = new byte[QK];
        byte[] laux = new byte[QK];
        float[] min = new float[1];
        float sigma2 = rowSigma2(x, xo, n);
        for (int ib = 0; ib < n / QK; ++ib, yo += 20) {
            int xb = xo + QK * ib;
            weigh(x, xb, qw, qo + QK * ib, sigma2, weight, QK);
            float d = KQuantSearch.makeQkx3Quants(QK, 15, x, xb, weight, 0, L, 0, min, 0, laux, -0.9f, 0.05f, 36, false);
            Half.putU16(y, yo, Half.fromFloat(d));
            Half.putU16(y, yo + 2, Half.fromFloat(-min[0]));
            for (int j = 0; j < 16; ++j) {
                y[yo + 4 + j] = (byte) (L[j] | (L[j + 16] << 4));
            }
        }
    }

    static void q5_0(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        float[] weight = new float[QK];
        byte[] L = new byte[QK];
        float sigma2 = rowSigma2(x, xo, n);
        for (int ib = 0; ib < n / QK; ++ib, yo += 22) {
            int xb = xo + QK * ib;
            weigh(x, xb, qw, qo + QK * ib, sigma2, weight, QK);
            float d = KQuantSearch.makeQxQuants(QK, 16, x, xb, L, 0, 1, weight, 0);
            Half.putU16(y, yo, Half.fromFloat(d));
            packQ5(L, y, yo + 6, yo + 2);
        }
    }

    static void q5_1(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        float[] weight = new float[QK];
        byte[] L = new byte[QK];
        byte[] laux = new byte[QK];
        float[] min = new float[1];
        float sigma2 = rowSigma2(x, xo, n);
        for (int ib = 0; ib < n / QK; ++ib, yo += 24) {
            int xb = xo + QK * ib;
            weigh(x, xb, qw, qo + QK * ib, sigma2, weight, QK);
            float d = KQuantSearch.makeQkx3Quants(QK, 31, x, xb, weight, 0, L, 0, min, 0, laux, -0.9f, 0.05f, 36, false);
            Half.putU16(y, yo, Half.fromFloat(d));
            Half.putU16(y, yo + 2, Half.fromFloat(-min[0]));
            packQ5(L, y, yo + 8, yo + 4);
        }
    }

    /** The low nibbles of 32 five-bit levels to {@code qs}, their fifth bits to the little-endian u32 at {@code qh}. */
    private static void packQ5(byte[] L, byte[] y, int qs, int qh) {
        int h = 0;
        for (int j = 0; j < 16; ++j) {
            int xi0 = L[j] & 0xFF;
            int xi1 = L[j + 16] & 0xFF;
            y[qs + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
            h |= ((xi0 & 0x10) >>> 4) << j;
            h |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        LegacyQuants.putU32(y, qh, h);
    }

    static void q2K(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        byte[] L = new byte[QK_K];
        byte[] laux = new byte[16];
        float[] mins = new float[QK_K / 16];
        float[] scales = new float[QK_K / 16];
        float[] sw = new float[QK_K / 16];
        float[] weight = new float[16];
        byte[] Ls = new byte[QK_K / 16];
        byte[] Lm = new byte[QK_K / 16];
        for (int i = 0; i < n / QK_K; i++, xo += QK_K, yo += 84) {
            java.util.Arrays.fill(sw, 0);
            float sumx2 = 0;
            for (int j = 0; j < QK_K; ++j) {
                sumx2 += x[xo + j] * x[xo + j];
            }
            float sigma2 = sumx2 / QK_K;
            for (int j = 0; j < QK_K / 16; ++j) {
                weigh(x, xo + 16 * j, qw, qo + QK_K * i + 16 * j, sigma2, weight, 16);
                for (int l = 0; l < QK_K / 16; ++l) {
                    sw[j] += weight[l];
                }
                scales[j] = KQuantSearch.makeQkx3Quants(16, 3, x, xo + 16 * j, weight, 0, L, 16 * j, mins, j, laux, -0.9f, 0.05f, 36, false);
            }
            float dm = KQuantSearch.makeQpQuants(QK_K / 16, 15, scales, Ls, sw);
            float mm = KQuantSearch.makeQpQuants(QK_K / 16, 15, mins, Lm, sw);
            Half.putU16(y, yo + 80, Half.fromFloat(dm));
            Half.putU16(y, yo + 82, Half.fromFloat(mm));
            dm = Half.f16(y, yo + 80);
            mm = Half.f16(y, yo + 82);
            for (int j = 0; j < QK_K / 16; ++j) {
                y[yo + j] = (byte) ((Ls[j] & 0xFF) | ((Lm[j] & 0xFF) << 4));
            }
            for (int j = 0; j < QK_K / 16; ++j) {
                int sc = y[yo + j] & 0xFF;
                float d = dm * (sc & 0xF);
                if (d == 0) {
                    continue;
                }
                float m = mm * (sc >> 4);
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt((x[xo + 16 * j + ii] + m) / d);
                    l = Math.max(0, Math.min(3, l));
                    L[16 * j + ii] = (byte) l;
                }
            }
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    y[yo + 16 + j / 4 + l] = (byte) ((L[j + l] & 0xFF) | ((L[j + l + 32] & 0xFF) << 2) | ((L[j + l + 64] & 0xFF) << 4)
                            | ((L[j + l + 96] & 0xFF) << 6));
                }
            }
        }
    }

    static void q3K(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[QK_K / 16];
        float[] weight = new float[16];
        float[] sw = new float[QK_K / 16];
        byte[] Ls = new byte[QK_K / 16];
        for (int i = 0; i < n / QK_K; i++, xo += QK_K, yo += 110) {
            float sumx2 = 0;
            for (int j = 0; j < QK_K; ++j) {
                sumx2 += x[xo + j] * x[xo + j];
            }
            float sigma2 = 2 * sumx2 / QK_K;
            for (int j = 0; j < QK_K / 16; ++j) {
                weigh(x, xo + 16 * j, qw, qo + QK_K * i + 16 * j, sigma2, weight, 16);
                float sumw = 0;
                for (int l = 0; l < 16; ++l) {
                    sumw += weight[l];
                }
                sw[j] = sumw;
                scales[j] = KQuantSearch.makeQxQuants(16, 4, x, xo + 16 * j, L, 16 * j, 1, weight, 0);
            }
            int s = yo + 96; // scales[12]
            for (int k = 0; k < 12; k++) {
                y[s + k] = 0;
            }
            float dBlock = KQuantSearch.makeQxQuants(QK_K / 16, 32, scales, 0, Ls, 0, 1, sw, 0);
            for (int j = 0; j < QK_K / 16; ++j) {
                int l = Ls[j];
                if (j < 8) {
                    y[s + j] = (byte) (l & 0xF);
                } else {
                    y[s + j - 8] |= (byte) ((l & 0xF) << 4);
                }
                l >>= 4;
                y[s + j % 4 + 8] |= (byte) (l << (2 * (j / 4)));
            }
            Half.putU16(y, yo + 108, Half.fromFloat(dBlock));
            for (int j = 0; j < QK_K / 16; ++j) {
                int sc = j < 8 ? y[s + j] & 0xF : (y[s + j - 8] & 0xFF) >> 4;
                sc = (byte) ((sc | ((((y[s + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4)) - 32);
                float d = Half.f16(y, yo + 108) * sc;
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt(x[xo + 16 * j + ii] / d);
                    l = Math.max(-4, Math.min(3, l));
                    L[16 * j + ii] = (byte) (l + 4);
                }
            }
            int hmask = yo;
            for (int k = 0; k < QK_K / 8; k++) {
                y[hmask + k] = 0;
            }
            int m = 0;
            int hm = 1;
            for (int j = 0; j < QK_K; ++j) {
                if (L[j] > 3) {
                    y[hmask + m] |= (byte) hm;
                    L[j] -= 4;
                }
                if (++m == QK_K / 8) {
                    m = 0;
                    hm = (hm << 1) & 0xFF;
                }
            }
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    y[yo + 32 + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
                }
            }
        }
    }

    static void q4K(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        byte[] L = new byte[QK_K];
        Scratch s = new Scratch();
        for (int i = 0; i < n / QK_K; i++, xo += QK_K, yo += 144) {
            scalesAndMins(x, xo, y, yo, qw, qo + QK_K * i, L, 15, false, s);
            int q = yo + 16;
            for (int j = 0; j < QK_K; j += 64) {
                for (int l = 0; l < 32; ++l) {
                    y[q + l] = (byte) ((L[j + l] & 0xFF) | ((L[j + l + 32] & 0xFF) << 4));
                }
                q += 32;
            }
        }
    }

    static void q5K(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        byte[] L = new byte[QK_K];
        Scratch s = new Scratch();
        for (int i = 0; i < n / QK_K; i++, xo += QK_K, yo += 176) {
            scalesAndMins(x, xo, y, yo, qw, qo + QK_K * i, L, 31, true, s);
            int qh = yo + 16;
            int ql = yo + 48;
            for (int k = 0; k < QK_K / 8; k++) {
                y[qh + k] = 0;
            }
            int m1 = 1;
            int m2 = 2;
            for (int b = 0; b < QK_K; b += 64) {
                for (int j = 0; j < 32; ++j) {
                    int l1 = L[b + j] & 0xFF;
                    if (l1 > 15) {
                        l1 -= 16;
                        y[qh + j] |= (byte) m1;
                    }
                    int l2 = L[b + j + 32] & 0xFF;
                    if (l2 > 15) {
                        l2 -= 16;
                        y[qh + j] |= (byte) m2;
                    }
                    y[ql + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
                ql += 32;
            }
        }
    }

    /**
     * The common part of quantize_row_q4_K_impl and q5_K_impl for one super-block: weighted sub-block searches,
     * the 6-bit scales and mins by make_qp_quants (Q5_K clamps them to 63, Q4_K does not), d and dmin, and the final
     * levels (0..nmax) in {@code L}.
     */
    private static void scalesAndMins(float[] x, int xo, byte[] y, int yo, float[] qw, int qo, byte[] L, int nmax, boolean clamp,
            Scratch t) {
        byte[] laux = t.laux, Ls = t.ls, Lm = t.lm;
        float[] weights = t.weights, sw = t.sw, mins = t.mins, scales = t.scales;
        float sumX2 = 0;
        for (int l = 0; l < QK_K; ++l) {
            sumX2 += x[xo + l] * x[xo + l];
        }
        float sigma2 = 2 * sumX2 / QK_K;
        for (int j = 0; j < QK_K / 32; ++j) {
            weigh(x, xo + 32 * j, qw, qo + 32 * j, sigma2, weights, 32);
            float sumw = 0;
            for (int l = 0; l < 32; ++l) {
                sumw += weights[l];
            }
            sw[j] = sumw;
            scales[j] = KQuantSearch.makeQkx3Quants(32, nmax, x, xo + 32 * j, weights, 0, L, 32 * j, mins, j, laux, -0.9f, 0.05f, 36, false);
        }
        float dBlock = KQuantSearch.makeQpQuants(QK_K / 32, 63, scales, Ls, sw);
        float mBlock = KQuantSearch.makeQpQuants(QK_K / 32, 63, mins, Lm, sw);
        int s = yo + 4;
        for (int j = 0; j < QK_K / 32; ++j) {
            int ls = Ls[j] & 0xFF;
            int lm = Lm[j] & 0xFF;
            if (clamp) {
                ls = Math.min(63, ls);
                lm = Math.min(63, lm);
            }
            if (j < 4) {
                y[s + j] = (byte) ls;
                y[s + j + 4] = (byte) lm;
            } else {
                y[s + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                y[s + j - 4] |= (byte) ((ls >> 4) << 6);
                y[s + j] |= (byte) ((lm >> 4) << 6);
            }
        }
        Half.putU16(y, yo, Half.fromFloat(dBlock));
        Half.putU16(y, yo + 2, Half.fromFloat(mBlock));
        for (int j = 0; j < QK_K / 32; ++j) {
            int sc = KQuantDecode.scale(y, s, j);
            int m = KQuantDecode.minOf(y, s, j);
            float d = Half.f16(y, yo) * sc;
            if (d == 0) {
                continue;
            }
            float dm = Half.f16(y, yo + 2) * m;
            for (int ii = 0; ii < 32; ++ii) {
                int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                l = Math.max(0, Math.min(nmax, l));
                L[32 * j + ii] = (byte) l;
            }
        }
    }

    /** The per-super-block buffers of Q4_K/Q5_K, allocated once per row (every element is written before it is read). */
    private static final class Scratch {
        final byte[] laux = new byte[32], ls = new byte[QK_K / 32], lm = new byte[QK_K / 32];
        final float[] weights = new float[32], sw = new float[QK_K / 32], mins = new float[QK_K / 32], scales = new float[QK_K / 32];
    }

    static void q6K(float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[QK_K / 16];
        for (int i = 0; i < n / QK_K; i++, xo += QK_K, yo += 210) {
            KQuantEncode.q6KBlock(x, xo, y, yo, L, scales, qw, qo + QK_K * i);
        }
    }
}
