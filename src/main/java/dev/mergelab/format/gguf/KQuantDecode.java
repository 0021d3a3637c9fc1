package dev.mergelab.format.gguf;

/**
 * ggml's reference dequantizers for the 256-element super-block types (dequantize_row_q2_K ... q6_K in
 * ggml-quants.c), with the same float operations in the same order, so the float32 results are identical.
 * One call decodes {@code blocks} consecutive super-blocks.
 */
final class KQuantDecode {

    static final int QK_K = 256;

    private KQuantDecode() {
    }

    /** block_q2_K: scales[16], qs[64], d, dmin. */
    static void q2K(byte[] src, int so, float[] y, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 84) {
            float d = Half.f16(src, so + 80);
            float min = Half.f16(src, so + 82);
            int q = so + 16;
            int is = 0;
            for (int n = 0; n < QK_K; n += 128) {
                int shift = 0;
                for (int j = 0; j < 4; j++) {
                    int sc = src[so + is++] & 0xFF;
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) {
                        y[o++] = dl * (((src[q + l] & 0xFF) >>> shift) & 3) - ml;
                    }
                    sc = src[so + is++] & 0xFF;
                    dl = d * (sc & 0xF);
                    ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) {
                        y[o++] = dl * (((src[q + l + 16] & 0xFF) >>> shift) & 3) - ml;
                    }
                    shift += 2;
                }
                q += 32;
            }
        }
    }

    /** block_q3_K: hmask[32], qs[64], scales[12], d. */
    static void q3K(byte[] src, int so, float[] y, int o, int blocks) {
        int[] scales = new int[16];
        for (int i = 0; i < blocks; i++, so += 110) {
            float dAll = Half.f16(src, so + 108);
            unpackQ3Scales(src, so + 96, scales);
            int q = so + 32;
            int hm = so;
            int m = 1;
            int is = 0;
            for (int n = 0; n < QK_K; n += 128) {
                int shift = 0;
                for (int j = 0; j < 4; j++) {
                    float dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        y[o++] = dl * ((((src[q + l] & 0xFF) >>> shift) & 3) - ((src[hm + l] & m) != 0 ? 0 : 4));
                    }
                    dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        y[o++] = dl * ((((src[q + l + 16] & 0xFF) >>> shift) & 3) - ((src[hm + l + 16] & m) != 0 ? 0 : 4));
                    }
                    shift += 2;
                    m <<= 1;
                }
                q += 32;
            }
        }
    }

    /**
     * The sixteen 6-bit scales of a Q3_K block, as the int8 values dequantize_row_q3_K reads after its
     * kmask shuffle: low nibbles from bytes 0..7, high two bits from bytes 8..11.
     */
    static void unpackQ3Scales(byte[] src, int s, int[] out) {
        int a0 = LegacyQuants.u32(src, s);
        int a1 = LegacyQuants.u32(src, s + 4);
        int tmp = LegacyQuants.u32(src, s + 8);
        int kmask1 = 0x03030303;
        int kmask2 = 0x0f0f0f0f;
        int[] aux = {
            (a0 & kmask2) | (((tmp >>> 0) & kmask1) << 4),
            (a1 & kmask2) | (((tmp >>> 2) & kmask1) << 4),
            ((a0 >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4),
            ((a1 >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4),
        };
        for (int k = 0; k < 16; k++) {
            out[k] = (byte) (aux[k / 4] >>> (8 * (k % 4)));
        }
    }

    /** block_q4_K: d, dmin, scales[12], qs[128]. */
    static void q4K(byte[] src, int so, float[] y, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 144) {
            float d = Half.f16(src, so);
            float min = Half.f16(src, so + 2);
            int sc = so + 4;
            int q = so + 16;
            int is = 0;
            for (int j = 0; j < QK_K; j += 64) {
                float d1 = d * scale(src, sc, is);
                float m1 = min * minOf(src, sc, is);
                float d2 = d * scale(src, sc, is + 1);
                float m2 = min * minOf(src, sc, is + 1);
                for (int l = 0; l < 32; l++) {
                    y[o++] = d1 * (src[q + l] & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    y[o++] = d2 * ((src[q + l] & 0xFF) >>> 4) - m2;
                }
                q += 32;
                is += 2;
            }
        }
    }

    /** block_q5_K: d, dmin, scales[12], qh[32], qs[128]. */
    static void q5K(byte[] src, int so, float[] y, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 176) {
            float d = Half.f16(src, so);
            float min = Half.f16(src, so + 2);
            int sc = so + 4;
            int qh = so + 16;
            int ql = so + 48;
            int is = 0;
            int u1 = 1;
            int u2 = 2;
            for (int j = 0; j < QK_K; j += 64) {
                float d1 = d * scale(src, sc, is);
                float m1 = min * minOf(src, sc, is);
                float d2 = d * scale(src, sc, is + 1);
                float m2 = min * minOf(src, sc, is + 1);
                for (int l = 0; l < 32; l++) {
                    y[o++] = d1 * ((src[ql + l] & 0xF) + ((src[qh + l] & u1) != 0 ? 16 : 0)) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    y[o++] = d2 * (((src[ql + l] & 0xFF) >>> 4) + ((src[qh + l] & u2) != 0 ? 16 : 0)) - m2;
                }
                ql += 32;
                is += 2;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    /** block_q6_K: ql[128], qh[64], scales[16] (int8), d. */
    static void q6K(byte[] src, int so, float[] y, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 210) {
            float d = Half.f16(src, so + 208);
            int ql = so;
            int qh = so + 128;
            int sc = so + 192;
            for (int n = 0; n < QK_K; n += 128) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = src[qh + l] & 0xFF;
                    int q1 = (byte) ((src[ql + l] & 0xF) | ((h >>> 0) & 3) << 4) - 32;
                    int q2 = (byte) ((src[ql + l + 32] & 0xF) | ((h >>> 2) & 3) << 4) - 32;
                    int q3 = (byte) (((src[ql + l] & 0xFF) >>> 4) | ((h >>> 4) & 3) << 4) - 32;
                    int q4 = (byte) (((src[ql + l + 32] & 0xFF) >>> 4) | ((h >>> 6) & 3) << 4) - 32;
                    y[o + l] = d * src[sc + is] * q1;
                    y[o + l + 32] = d * src[sc + is + 2] * q2;
                    y[o + l + 64] = d * src[sc + is + 4] * q3;
                    y[o + l + 96] = d * src[sc + is + 6] * q4;
                }
                o += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }

    /** get_scale_min_k4's scale for sub-block {@code j} of the 12 scale bytes at {@code q}. */
    static int scale(byte[] b, int q, int j) {
        if (j < 4) {
            return b[q + j] & 63;
        }
        return (b[q + j + 4] & 0xF) | ((b[q + j - 4] & 0xFF) >>> 6) << 4;
    }

    /** get_scale_min_k4's min for sub-block {@code j}. */
    static int minOf(byte[] b, int q, int j) {
        if (j < 4) {
            return b[q + j + 4] & 63;
        }
        return ((b[q + j + 4] & 0xFF) >>> 4) | ((b[q + j] & 0xFF) >>> 6) << 4;
    }
}
