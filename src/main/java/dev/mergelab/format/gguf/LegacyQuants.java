package dev.mergelab.format.gguf;

/**
 * The 32-element block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0: ggml's reference quantizers
 * (quantize_row_*_ref in ggml-quants.c, which llama-quantize uses for these types when it has no importance
 * matrix) and dequantizers (dequantize_row_*), operation for operation in the same float order, so the
 * bytes and floats are identical. One call handles {@code blocks} consecutive blocks.
 */
final class LegacyQuants {

    static final int QK = 32;

    private LegacyQuants() {
    }

    // ---- dequantize_row_* ------------------------------------------------------------------------------

    static void decodeQ4_0(byte[] src, int so, float[] dst, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 18, o += QK) {
            float d = Half.f16(src, so);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[so + 2 + j] & 0xFF;
                dst[o + j] = ((q & 0x0F) - 8) * d;
                dst[o + j + QK / 2] = ((q >>> 4) - 8) * d;
            }
        }
    }

    static void decodeQ4_1(byte[] src, int so, float[] dst, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 20, o += QK) {
            float d = Half.f16(src, so);
            float m = Half.f16(src, so + 2);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[so + 4 + j] & 0xFF;
                dst[o + j] = (q & 0x0F) * d + m;
                dst[o + j + QK / 2] = (q >>> 4) * d + m;
            }
        }
    }

    static void decodeQ5_0(byte[] src, int so, float[] dst, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 22, o += QK) {
            float d = Half.f16(src, so);
            int qh = u32(src, so + 2);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[so + 6 + j] & 0xFF;
                int xh0 = ((qh >>> j) << 4) & 0x10;
                int xh1 = (qh >>> (j + 12)) & 0x10;
                dst[o + j] = (((q & 0x0F) | xh0) - 16) * d;
                dst[o + j + QK / 2] = (((q >>> 4) | xh1) - 16) * d;
            }
        }
    }

    static void decodeQ5_1(byte[] src, int so, float[] dst, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 24, o += QK) {
            float d = Half.f16(src, so);
            float m = Half.f16(src, so + 2);
            int qh = u32(src, so + 4);
            for (int j = 0; j < QK / 2; j++) {
                int q = src[so + 8 + j] & 0xFF;
                int xh0 = ((qh >>> j) << 4) & 0x10;
                int xh1 = (qh >>> (j + 12)) & 0x10;
                dst[o + j] = ((q & 0x0F) | xh0) * d + m;
                dst[o + j + QK / 2] = ((q >>> 4) | xh1) * d + m;
            }
        }
    }

    static void decodeQ8_0(byte[] src, int so, float[] dst, int o, int blocks) {
        for (int i = 0; i < blocks; i++, so += 34, o += QK) {
            float d = Half.f16(src, so);
            for (int j = 0; j < QK; j++) {
                dst[o + j] = src[so + 2 + j] * d;
            }
        }
    }

    // ---- quantize_row_*_ref ----------------------------------------------------------------------------

    static void encodeQ4_0(float[] x, int xo, byte[] y, int yo, int blocks) {
        for (int i = 0; i < blocks; i++, xo += QK, yo += 18) {
            float amax = 0.0f;
            float max = 0.0f;
            for (int j = 0; j < QK; j++) {
                float v = x[xo + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Half.putU16(y, yo, Half.fromFloat(d));
            for (int j = 0; j < QK / 2; j++) {
                float x0 = x[xo + j] * id;
                float x1 = x[xo + QK / 2 + j] * id;
                int xi0 = Math.min(15, (byte) Half.cvtt(x0 + 8.5f)) & 0xFF;
                int xi1 = Math.min(15, (byte) Half.cvtt(x1 + 8.5f)) & 0xFF;
                y[yo + 2 + j] = (byte) (xi0 | xi1 << 4);
            }
        }
    }

    static void encodeQ4_1(float[] x, int xo, byte[] y, int yo, int blocks) {
        for (int i = 0; i < blocks; i++, xo += QK, yo += 20) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = x[xo + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / ((1 << 4) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Half.putU16(y, yo, Half.fromFloat(d));
            Half.putU16(y, yo + 2, Half.fromFloat(min));
            for (int j = 0; j < QK / 2; j++) {
                float x0 = (x[xo + j] - min) * id;
                float x1 = (x[xo + QK / 2 + j] - min) * id;
                int xi0 = Math.min(15, (byte) Half.cvtt(x0 + 0.5f)) & 0xFF;
                int xi1 = Math.min(15, (byte) Half.cvtt(x1 + 0.5f)) & 0xFF;
                y[yo + 4 + j] = (byte) (xi0 | xi1 << 4);
            }
        }
    }

    static void encodeQ5_0(float[] x, int xo, byte[] y, int yo, int blocks) {
        for (int i = 0; i < blocks; i++, xo += QK, yo += 22) {
            float amax = 0.0f;
            float max = 0.0f;
            for (int j = 0; j < QK; j++) {
                float v = x[xo + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Half.putU16(y, yo, Half.fromFloat(d));
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                float x0 = x[xo + j] * id;
                float x1 = x[xo + QK / 2 + j] * id;
                int xi0 = Math.min(31, (byte) Half.cvtt(x0 + 16.5f)) & 0xFF;
                int xi1 = Math.min(31, (byte) Half.cvtt(x1 + 16.5f)) & 0xFF;
                y[yo + 6 + j] = (byte) ((xi0 & 0x0F) | (xi1 & 0x0F) << 4);
                qh |= ((xi0 & 0x10) >>> 4) << j;
                qh |= ((xi1 & 0x10) >>> 4) << (j + QK / 2);
            }
            putU32(y, yo + 2, qh);
        }
    }

    static void encodeQ5_1(float[] x, int xo, byte[] y, int yo, int blocks) {
        for (int i = 0; i < blocks; i++, xo += QK, yo += 24) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = x[xo + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Half.putU16(y, yo, Half.fromFloat(d));
            Half.putU16(y, yo + 2, Half.fromFloat(min));
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                float x0 = (x[xo + j] - min) * id;
                float x1 = (x[xo + QK / 2 + j] - min) * id;
                int xi0 = Half.cvtt(x0 + 0.5f) & 0xFF; // (uint8_t) in C: no clamp
                int xi1 = Half.cvtt(x1 + 0.5f) & 0xFF;
                y[yo + 8 + j] = (byte) ((xi0 & 0x0F) | (xi1 & 0x0F) << 4);
                qh |= ((xi0 & 0x10) >>> 4) << j;
                qh |= ((xi1 & 0x10) >>> 4) << (j + QK / 2);
            }
            putU32(y, yo + 4, qh);
        }
    }

    static void encodeQ8_0(float[] x, int xo, byte[] y, int yo, int blocks) {
        for (int i = 0; i < blocks; i++, xo += QK, yo += 34) {
            float amax = 0.0f;
            for (int j = 0; j < QK; j++) {
                amax = cMax(amax, Math.abs(x[xo + j]));
            }
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            Half.putU16(y, yo, Half.fromFloat(d));
            for (int j = 0; j < QK; j++) {
                y[yo + 2 + j] = (byte) Half.cvtt(roundf(x[xo + j] * id));
            }
        }
    }

    /** ggml's MAX(a, b) macro: {@code a > b ? a : b} (Math.max differs for NaN and signed zeros). */
    static float cMax(float a, float b) {
        return a > b ? a : b;
    }

    /** C's roundf: nearest, halves away from zero (Math.round rounds them up, Math.rint to even). */
    static float roundf(float v) {
        if (!(Math.abs(v) < 0x1p23f)) {
            return v; // already an integer, or NaN/infinite
        }
        float a = Math.abs(v);
        float t = (float) Math.floor(a);
        if (a - t >= 0.5f) {
            t += 1.0f;
        }
        return Math.copySign(t, v);
    }

    static int u32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    static void putU32(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
        b[o + 2] = (byte) (v >>> 16);
        b[o + 3] = (byte) (v >>> 24);
    }
}
