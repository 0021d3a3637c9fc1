package dev.mergelab.format.gguf;

import static dev.mergelab.format.gguf.KQuantSearch.nearestInt;

/**
 * ggml's reference quantizers for the super-block types (quantize_row_q2_K_ref ... q6_K_ref in
 * ggml-quants.c): what quantize_q2_K ... quantize_q6_K, and so llama-quantize, run when no importance matrix
 * is given. Same float operations in the same order, same C integer conversions, so the bytes are identical.
 * One call encodes {@code blocks} consecutive super-blocks of 256 floats.
 */
final class KQuantEncode {

    private static final int QK_K = 256;

    private KQuantEncode() {
    }

    static void q2K(float[] x, int xo, byte[] y, int yo, int blocks) {
        byte[] L = new byte[QK_K];
        byte[] laux = new byte[16];
        float[] weights = new float[16];
        float[] mins = new float[QK_K / 16];
        float[] scales = new float[QK_K / 16];
        final float q4scale = 15.f;
        for (int i = 0; i < blocks; i++, xo += QK_K, yo += 84) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < QK_K / 16; ++j) {
                for (int l = 0; l < 16; ++l) {
                    weights[l] = Math.abs(x[xo + 16 * j + l]);
                }
                scales[j] = KQuantSearch.makeQkx2Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, mins, j, laux, -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            int sc = yo; // scales[16] at offset 0
            if (maxScale > 0) {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < QK_K / 16; ++j) {
                    y[sc + j] = (byte) nearestInt(iscale * scales[j]);
                }
                Half.putU16(y, yo + 80, Half.fromFloat(maxScale / q4scale));
            } else {
                for (int j = 0; j < QK_K / 16; ++j) {
                    y[sc + j] = 0;
                }
                Half.putU16(y, yo + 80, Half.fromFloat(0.f));
            }
            if (maxMin > 0) {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < QK_K / 16; ++j) {
                    int l = nearestInt(iscale * mins[j]);
                    y[sc + j] |= (byte) (l << 4);
                }
                Half.putU16(y, yo + 82, Half.fromFloat(maxMin / q4scale));
            } else {
                Half.putU16(y, yo + 82, Half.fromFloat(0.f));
            }
            for (int j = 0; j < QK_K / 16; ++j) {
                float d = Half.f16(y, yo + 80) * (y[sc + j] & 0xF);
                if (d == 0) {
                    continue;
                }
                float dm = Half.f16(y, yo + 82) * ((y[sc + j] & 0xFF) >>> 4);
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt((x[xo + 16 * j + ii] + dm) / d);
                    l = Math.max(0, Math.min(3, l));
                    L[16 * j + ii] = (byte) l;
                }
            }
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    y[yo + 16 + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
                }
            }
        }
    }

    static void q3K(float[] x, int xo, byte[] y, int yo, int blocks) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[QK_K / 16];
        for (int i = 0; i < blocks; i++, xo += QK_K, yo += 110) {
            float maxScale = 0;
            float amax = 0;
            for (int j = 0; j < QK_K / 16; ++j) {
                scales[j] = KQuantSearch.makeQ3Quants(16, 4, x, xo + 16 * j, L, 16 * j, true);
                float scale = Math.abs(scales[j]);
                if (scale > amax) {
                    amax = scale;
                    maxScale = scales[j];
                }
            }
            int s = yo + 96; // scales[12]
            for (int k = 0; k < 12; k++) {
                y[s + k] = 0;
            }
            if (maxScale != 0) {
                float iscale = -32.f / maxScale;
                for (int j = 0; j < QK_K / 16; ++j) {
                    int l = (byte) nearestInt(iscale * scales[j]);
                    l = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                    if (j < 8) {
                        y[s + j] = (byte) (l & 0xF);
                    } else {
                        y[s + j - 8] |= (byte) ((l & 0xF) << 4);
                    }
                    l >>= 4;
                    y[s + j % 4 + 8] |= (byte) (l << (2 * (j / 4)));
                }
                Half.putU16(y, yo + 108, Half.fromFloat(1 / iscale));
            } else {
                Half.putU16(y, yo + 108, Half.fromFloat(0.f));
            }
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
            int hmask = yo; // hmask[32] at 0
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

    static void q4K(float[] x, int xo, byte[] y, int yo, int blocks) {
        byte[] L = new byte[QK_K];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[QK_K / 32];
        float[] scales = new float[QK_K / 32];
        for (int i = 0; i < blocks; i++, xo += QK_K, yo += 144) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < QK_K / 32; ++j) {
                averagedWeights(x, xo + 32 * j, weights);
                scales[j] = KQuantSearch.makeQkx2Quants(32, 15, x, xo + 32 * j, weights, L, 32 * j, mins, j, laux, -1.f, 0.1f, 20, false);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            packScalesAndMins(y, yo, scales, mins, maxScale, maxMin);
            quantizeWithScales(x, xo, y, yo, L, 15);
            int q = yo + 16;
            for (int j = 0; j < QK_K; j += 64) {
                for (int l = 0; l < 32; ++l) {
                    y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
                }
                q += 32;
            }
        }
    }

    static void q5K(float[] x, int xo, byte[] y, int yo, int blocks) {
        byte[] L = new byte[QK_K];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[QK_K / 32];
        float[] scales = new float[QK_K / 32];
        for (int i = 0; i < blocks; i++, xo += QK_K, yo += 176) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < QK_K / 32; ++j) {
                averagedWeights(x, xo + 32 * j, weights);
                scales[j] = KQuantSearch.makeQkx2Quants(32, 31, x, xo + 32 * j, weights, L, 32 * j, mins, j, laux, -0.5f, 0.1f, 15, false);
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            packScalesAndMins(y, yo, scales, mins, maxScale, maxMin);
            quantizeWithScales(x, xo, y, yo, L, 31);
            int qh = yo + 16;
            int ql = yo + 48;
            for (int k = 0; k < QK_K / 8; k++) {
                y[qh + k] = 0;
            }
            int m1 = 1;
            int m2 = 2;
            for (int n = 0; n < QK_K; n += 64) {
                for (int j = 0; j < 32; ++j) {
                    int l1 = L[n + j];
                    if (l1 > 15) {
                        l1 -= 16;
                        y[qh + j] |= (byte) m1;
                    }
                    int l2 = L[n + j + 32];
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

    static void q6K(float[] x, int xo, byte[] y, int yo, int blocks) {
        byte[] L = new byte[QK_K];
        float[] scales = new float[QK_K / 16];
        for (int i = 0; i < blocks; i++, xo += QK_K, yo += 210) {
            q6KBlock(x, xo, y, yo, L, scales, null, 0);
        }
    }

    /**
     * One Q6_K super-block: quantize_row_q6_K_ref's loop body, or quantize_row_q6_K_impl's when {@code qw} (the
     * importance weights of these 256 columns, from {@code qo}) is given: the only difference is the weights of
     * make_qx_quants.
     */
    static void q6KBlock(float[] x, int xo, byte[] y, int yo, byte[] L, float[] scales, float[] qw, int qo) {
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < QK_K / 16; ++ib) {
            float scale = KQuantSearch.makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib, 1, qw, qo + 16 * ib);
            scales[ib] = scale;
            float absScale = Math.abs(scale);
            if (absScale > maxAbsScale) {
                maxAbsScale = absScale;
                maxScale = scale;
            }
        }
        if (maxAbsScale < KQuantSearch.GROUP_MAX_EPS) {
            java.util.Arrays.fill(y, yo, yo + 210, (byte) 0);
            Half.putU16(y, yo + 208, Half.fromFloat(0.f));
            return;
        }
        float iscale = -128.f / maxScale;
        Half.putU16(y, yo + 208, Half.fromFloat(1 / iscale));
        int sc = yo + 192;
        for (int ib = 0; ib < QK_K / 16; ++ib) {
            y[sc + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        }
        for (int j = 0; j < QK_K / 16; ++j) {
            float d = Half.f16(y, yo + 208) * y[sc + j];
            if (d == 0) {
                continue;
            }
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearestInt(x[xo + 16 * j + ii] / d);
                l = Math.max(-32, Math.min(31, l));
                L[16 * j + ii] = (byte) (l + 32);
            }
        }
        int ql = yo;
        int qh = yo + 128;
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; ++l) {
                int q1 = L[j + l] & 0xF;
                int q2 = L[j + l + 32] & 0xF;
                int q3 = L[j + l + 64] & 0xF;
                int q4 = L[j + l + 96] & 0xF;
                y[ql + l] = (byte) (q1 | (q3 << 4));
                y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
            ql += 64;
            qh += 32;
        }
    }

    /** Q4_K/Q5_K's weights: {@code sqrt(mean(x^2)) + |x|} over one 32-element sub-block. */
    private static void averagedWeights(float[] x, int xo, float[] weights) {
        float sumX2 = 0;
        for (int l = 0; l < 32; ++l) {
            sumX2 += x[xo + l] * x[xo + l];
        }
        float avX = (float) Math.sqrt(sumX2 / 32);
        for (int l = 0; l < 32; ++l) {
            weights[l] = avX + Math.abs(x[xo + l]);
        }
    }

    /** The 6-bit scales and mins of Q4_K/Q5_K (12 bytes at offset 4) and the fp16 d, dmin at 0 and 2. */
    private static void packScalesAndMins(byte[] y, int yo, float[] scales, float[] mins, float maxScale, float maxMin) {
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        int s = yo + 4;
        for (int j = 0; j < QK_K / 32; ++j) {
            int ls = nearestInt(invScale * scales[j]) & 0xFF;
            int lm = nearestInt(invMin * mins[j]) & 0xFF;
            ls = Math.min(63, ls);
            lm = Math.min(63, lm);
            if (j < 4) {
                y[s + j] = (byte) ls;
                y[s + j + 4] = (byte) lm;
            } else {
                y[s + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                y[s + j - 4] |= (byte) ((ls >> 4) << 6);
                y[s + j] |= (byte) ((lm >> 4) << 6);
            }
        }
        Half.putU16(y, yo, Half.fromFloat(maxScale / 63.f));
        Half.putU16(y, yo + 2, Half.fromFloat(maxMin / 63.f));
    }

    /** Q4_K/Q5_K's final levels from the stored (rounded) scales and mins; sub-blocks whose scale is 0 keep theirs. */
    private static void quantizeWithScales(float[] x, int xo, byte[] y, int yo, byte[] L, int nmax) {
        for (int j = 0; j < QK_K / 32; ++j) {
            int sc = KQuantDecode.scale(y, yo + 4, j);
            int m = KQuantDecode.minOf(y, yo + 4, j);
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
}
