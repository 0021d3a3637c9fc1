package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference dequantizers of the {@link QuantType}s, reading blocks from a segment: the float operations of
 * ggml's dequantize_row_q8_0 / q4_0 / q4_K / q6_K (ggml-quants.c) in the same order, so each value is the float
 * ggml and {@code format.gguf.GgmlCodec} give (the tests compare them over random and exhaustive blocks). The
 * vector kernels' in-register dequantization ({@link VectorQuantDecode}) repeats these operations lane by lane.
 * F16 scales are converted exactly (a NaN scale gives NaN values, its payload aside).
 */
final class QuantDecode {

    private QuantDecode() {
    }

    /** Decodes {@code blocks} blocks from byte {@code p} of {@code m} into {@code dst[o ..]}. */
    static void decode(QuantType type, MemorySegment m, long p, int blocks, float[] dst, int o) {
        switch (type) {
            case Q8_0 -> q8_0(m, p, blocks, dst, o);
            case Q4_0 -> q4_0(m, p, blocks, dst, o);
            case Q4_K -> q4K(m, p, blocks, dst, o);
            case Q6_K -> q6K(m, p, blocks, dst, o);
        }
    }

    static float f16(MemorySegment m, long p) {
        return Codecs.f16ToFloat(m.get(Codecs.I16, p));
    }

    static int u8(MemorySegment m, long p) {
        return m.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
    }

    static void q8_0(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 34, o += 32) {
            float d = f16(m, p);
            for (int j = 0; j < 32; j++) {
                y[o + j] = m.get(ValueLayout.JAVA_BYTE, p + 2 + j) * d;
            }
        }
    }

    static void q4_0(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 18, o += 32) {
            float d = f16(m, p);
            for (int j = 0; j < 16; j++) {
                int q = u8(m, p + 2 + j);
                y[o + j] = ((q & 0x0F) - 8) * d;
                y[o + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    static void q4K(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 144) {
            float d = f16(m, p);
            float min = f16(m, p + 2);
            long q = p + 16;
            for (int is = 0; is < 8; is += 2) {
                float d1 = d * scaleK4(m, p + 4, is);
                float m1 = min * minK4(m, p + 4, is);
                float d2 = d * scaleK4(m, p + 4, is + 1);
                float m2 = min * minK4(m, p + 4, is + 1);
                for (int l = 0; l < 32; l++) {
                    y[o++] = d1 * (u8(m, q + l) & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++) {
                    y[o++] = d2 * (u8(m, q + l) >>> 4) - m2;
                }
                q += 32;
            }
        }
    }

    static void q6K(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 210) {
            float d = f16(m, p + 208);
            long ql = p;
            long qh = p + 128;
            long sc = p + 192;
            for (int n = 0; n < 256; n += 128) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = u8(m, qh + l);
                    int q1 = ((u8(m, ql + l) & 0xF) | (h & 3) << 4) - 32;
                    int q2 = ((u8(m, ql + l + 32) & 0xF) | ((h >>> 2) & 3) << 4) - 32;
                    int q3 = ((u8(m, ql + l) >>> 4) | ((h >>> 4) & 3) << 4) - 32;
                    int q4 = ((u8(m, ql + l + 32) >>> 4) | ((h >>> 6) & 3) << 4) - 32;
                    y[o + l] = d * scale6(m, sc, is) * q1;
                    y[o + l + 32] = d * scale6(m, sc, is + 2) * q2;
                    y[o + l + 64] = d * scale6(m, sc, is + 4) * q3;
                    y[o + l + 96] = d * scale6(m, sc, is + 6) * q4;
                }
                o += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }

    /** Q6_K's int8 scale {@code j} from byte {@code sc}. */
    static int scale6(MemorySegment m, long sc, int j) {
        return m.get(ValueLayout.JAVA_BYTE, sc + j);
    }

    /** get_scale_min_k4's 6-bit scale of sub-block {@code j} from the 12 bytes at {@code q}. */
    static int scaleK4(MemorySegment m, long q, int j) {
        if (j < 4) {
            return u8(m, q + j) & 63;
        }
        return (u8(m, q + j + 4) & 0xF) | (u8(m, q + j - 4) >>> 6) << 4;
    }

    /** get_scale_min_k4's 6-bit min of sub-block {@code j}. */
    static int minK4(MemorySegment m, long q, int j) {
        if (j < 4) {
            return u8(m, q + j + 4) & 63;
        }
        return (u8(m, q + j + 4) >>> 4) | (u8(m, q + j) >>> 6) << 4;
    }
}
