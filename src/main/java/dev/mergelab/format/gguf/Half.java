package dev.mergelab.format.gguf;

/**
 * ggml's float conversions, written as ggml-impl.h writes them (ggml_compute_fp16_to_fp32,
 * ggml_compute_fp32_to_fp16, ggml_compute_fp32_to_bf16) so that every result, NaN payloads included, has
 * the bits ggml gives on x86-64: the quantizers round their scales through these, and byte identity with
 * llama-quantize depends on it. Also the C float-to-integer conversion the reference code relies on.
 */
final class Half {

    private Half() {
    }

    /** IEEE half bits to float, exactly (ggml_compute_fp16_to_fp32). */
    static float toFloat(int h) {
        int w = (h & 0xFFFF) << 16;
        int sign = w & 0x80000000;
        int twoW = w + w;
        if (Integer.compareUnsigned(twoW, 0xFF000000) > 0) {
            // NaN: ggml multiplies it by 2^-112, which on x86 keeps the payload and sets the quiet bit. Java
            // arithmetic does not promise NaN payloads, so the bits are built here.
            return Float.intBitsToFloat(sign | 0x7FC00000 | ((h & 0x3FF) << 13));
        }
        float normalized = Float.intBitsToFloat((twoW >>> 4) + (0xE0 << 23)) * 0x1.0p-112f;
        float denormalized = Float.intBitsToFloat((twoW >>> 17) | (126 << 23)) - 0.5f;
        int bits = Integer.compareUnsigned(twoW, 1 << 27) < 0 ? Float.floatToRawIntBits(denormalized)
                : Float.floatToRawIntBits(normalized);
        return Float.intBitsToFloat(sign | bits);
    }

    /** Float to IEEE half bits, round to nearest even, NaN to 0x7E00 with the sign (ggml_compute_fp32_to_fp16). */
    static int fromFloat(float f) {
        float base = (Math.abs(f) * 0x1.0p+112f) * 0x1.0p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1W = w + w;
        int sign = w & 0x80000000;
        int bias = shl1W & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) {
            bias = 0x71000000;
        }
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int expBits = (bits >>> 13) & 0x00007C00;
        int mantissaBits = bits & 0x00000FFF;
        int nonsign = expBits + mantissaBits;
        return ((sign >>> 16) | (Integer.compareUnsigned(shl1W, 0xFF000000) > 0 ? 0x7E00 : nonsign)) & 0xFFFF;
    }

    /** bfloat16 bits to float: the top half of the float's bits. */
    static float bf16ToFloat(int b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Float to bfloat16 bits, round to nearest even, NaN quieted (ggml_compute_fp32_to_bf16). */
    static int floatToBf16(float f) {
        int i = Float.floatToRawIntBits(f);
        if ((i & 0x7FFFFFFF) > 0x7F800000) {
            return ((i >>> 16) | 64) & 0xFFFF;
        }
        return ((i + (0x7FFF + ((i >>> 16) & 1))) >>> 16) & 0xFFFF;
    }

    /**
     * C's conversion of a float to a 32-bit int as gcc emits it on x86-64 (cvttss2si): truncation toward zero,
     * and 0x80000000 for NaN and values out of range (where Java's cast saturates instead). Narrower C
     * targets (int8_t, uint8_t) take the low bits of this.
     */
    static int cvtt(float f) {
        if (!(f > -2147483904f && f < 2147483648f)) {
            return Integer.MIN_VALUE;
        }
        return (int) f;
    }

    /** Little-endian 16-bit field at {@code o}. */
    static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    static void putU16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    /** The fp16 at {@code o}, as a float (GGML_FP16_TO_FP32 of a block field). */
    static float f16(byte[] b, int o) {
        return toFloat(u16(b, o));
    }
}
