package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Converts tensor bytes (little-endian, as safetensors stores them) to and from float32 for compute.
 * Decoding is exact for every floating type narrower than F32; encoding rounds to nearest even, keeps
 * NaN, infinities and subnormals, and follows PyTorch for the FP8 types (E4M3FN has no infinity:
 * overflow and infinities become NaN; E5M2 overflows to infinity).
 *
 * <p>Element indices ({@code from}, {@code to}) count elements of {@code dtype}, not bytes.
 */
public final class Codecs {

    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Codecs() {
    }

    /** Decodes {@code count} elements of {@code src}, starting at element {@code from}, into {@code dst}. */
    public static void decode(DType dtype, MemorySegment src, long from, float[] dst, int dstOff, int count) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, F32, from * 4, dst, dstOff, count);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = bf16ToFloat(src.get(I16, (from + i) * 2));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(src.get(I16, (from + i) * 2));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) src.get(F64, (from + i) * 8);
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = e4m3ToFloat(src.get(ValueLayout.JAVA_BYTE, from + i));
                }
            }
            case F8_E5M2 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = e5m2ToFloat(src.get(ValueLayout.JAVA_BYTE, from + i));
                }
            }
            case I64 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) src.get(I64, (from + i) * 8);
                }
            }
            case I32 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) src.get(I32, (from + i) * 4);
                }
            }
            case I16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(I16, (from + i) * 2);
                }
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(ValueLayout.JAVA_BYTE, from + i);
                }
            }
            case U8 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(ValueLayout.JAVA_BYTE, from + i) & 0xFF;
                }
            }
            case BOOL -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(ValueLayout.JAVA_BYTE, from + i) != 0 ? 1f : 0f;
                }
            }
        }
    }

    /** Encodes {@code count} floats from {@code src} into {@code dst} as {@code dtype}, starting at element {@code to}. */
    public static void encode(DType dtype, float[] src, int srcOff, int count, MemorySegment dst, long to) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, F32, to * 4, count);
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(I16, (to + i) * 2, floatToBf16(src[srcOff + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(I16, (to + i) * 2, Float.floatToFloat16(src[srcOff + i]));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(F64, (to + i) * 8, src[srcOff + i]);
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, to + i, floatToE4m3(src[srcOff + i]));
                }
            }
            case F8_E5M2 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, to + i, floatToE5m2(src[srcOff + i]));
                }
            }
            case I64 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(I64, (to + i) * 8, (long) Math.rint(src[srcOff + i]));
                }
            }
            case I32 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(I32, (to + i) * 4, (int) Math.rint(src[srcOff + i]));
                }
            }
            case I16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(I16, (to + i) * 2, (short) clampRint(src[srcOff + i], Short.MIN_VALUE, Short.MAX_VALUE));
                }
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, to + i, (byte) clampRint(src[srcOff + i], Byte.MIN_VALUE, Byte.MAX_VALUE));
                }
            }
            case U8 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, to + i, (byte) clampRint(src[srcOff + i], 0, 255));
                }
            }
            case BOOL -> {
                for (int i = 0; i < count; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, to + i, (byte) (src[srcOff + i] != 0f ? 1 : 0));
                }
            }
        }
    }

    private static int clampRint(float v, int lo, int hi) {
        if (Float.isNaN(v)) {
            return 0;
        }
        double r = Math.rint(v);
        return (int) Math.max(lo, Math.min(hi, r));
    }

    // ---- bfloat16: the top half of a float32 ------------------------------------------------------

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round to nearest even; NaN stays a (quiet) NaN with its sign. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    // ---- float8: generic small-float rounding, PyTorch's overflow rules ---------------------------

    public static float e4m3ToFloat(byte b) {
        int v = b & 0xFF;
        int sign = v >>> 7;
        int exp = (v >>> 3) & 0xF;
        int man = v & 0x7;
        float mag;
        if (exp == 0xF && man == 0x7) {
            mag = Float.NaN;
        } else if (exp == 0) {
            mag = man * 0x1p-9f;
        } else {
            mag = (1f + man / 8f) * Math.scalb(1f, exp - 7);
        }
        return sign == 1 ? -mag : mag;
    }

    public static float e5m2ToFloat(byte b) {
        // E5M2 is the top byte of an IEEE half.
        return Float.float16ToFloat((short) ((b & 0xFF) << 8));
    }

    /** float32 to E4M3FN: round to nearest even; |x| that rounds above 448, infinities and NaN become NaN. */
    public static byte floatToE4m3(float f) {
        int sign = Float.floatToRawIntBits(f) >>> 31 << 7;
        if (Float.isNaN(f) || Float.isInfinite(f)) {
            return (byte) (sign | 0x7F);
        }
        int code = roundSmallFloat(Math.abs(f), 3, 7);
        if (code > 0x7E) {
            return (byte) (sign | 0x7F);
        }
        return (byte) (sign | code);
    }

    /** float32 to E5M2: round to nearest even; overflow becomes infinity, NaN stays NaN. */
    public static byte floatToE5m2(float f) {
        int sign = Float.floatToRawIntBits(f) >>> 31 << 7;
        if (Float.isNaN(f)) {
            return (byte) (sign | 0x7F);
        }
        if (Float.isInfinite(f)) {
            return (byte) (sign | 0x7C);
        }
        int code = roundSmallFloat(Math.abs(f), 2, 15);
        if (code >= 0x7C) {
            return (byte) (sign | 0x7C);
        }
        return (byte) (sign | code);
    }

    /**
     * Rounds a finite non-negative value to a small float format with {@code mbits} mantissa bits and
     * exponent bias {@code bias}, returning the unsigned code (which may exceed the format's range; the
     * caller decides what overflow means).
     */
    private static int roundSmallFloat(float a, int mbits, int bias) {
        if (a == 0f) {
            return 0;
        }
        int minNormalExp = 1 - bias;
        int e = Math.max(Math.getExponent(a), minNormalExp);
        double quantum = Math.scalb(1.0, e - mbits);
        double q = Math.rint(a / quantum); // a/quantum is exact: a power-of-two scaling
        // q is the significand in units of the quantum; q == 2^(mbits+1) means it rounded up a binade.
        if (q == 0) {
            return 0;
        }
        int exp = e;
        if (q >= (1 << (mbits + 1))) {
            q /= 2;
            exp++;
        }
        if (q < (1 << mbits)) {
            return (int) q; // subnormal: exponent field 0
        }
        int expField = exp + bias;
        if (expField > (1 << (7 - mbits)) - 1) {
            return Integer.MAX_VALUE; // far overflow
        }
        return (expField << mbits) | ((int) q - (1 << mbits));
    }
}
