package dev.mergelab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Converts tensor bytes (little-endian, as safetensors stores them) to and from float32 for compute.
 * Decoding is exact for every floating type narrower than F32; encoding rounds to nearest even, keeps
 * infinities and subnormals, and follows PyTorch for the FP8 types (E4M3FN has no infinity:
 * overflow and infinities become NaN; E5M2 overflows to infinity).
 *
 * <p>Element indices ({@code from}, {@code to}) count elements of {@code dtype}, not bytes. Bounds are
 * checked before anything is read or written, so a bad range leaves the destination untouched.
 *
 * <h2>NaN rules (every implementation produces exactly these bits)</h2>
 * <ul>
 *   <li>Decoding BF16, F16 and F8_E5M2 widens NaNs bit for bit: the sign is kept and the payload moves
 *       to the top of the float mantissa; the quiet bit is not forced, so a signalling half stays a
 *       signalling float. (E5M2 is the top byte of an F16 and follows the F16 rule.)</li>
 *   <li>Decoding F8_E4M3's NaN ({@code S.1111.111}) gives the quiet float NaN {@code 0x7FC00000} with
 *       the sign of the byte.</li>
 *   <li>Encoding to BF16 or F16 keeps the sign and the top payload bits (7 for BF16, 10 for F16) and sets
 *       the quiet bit, so a payload that would be cut to zero still encodes a NaN. This matches what
 *       x86 F16C hardware does and what PyTorch's bf16 conversion does.</li>
 *   <li>Encoding to F8_E4M3 or F8_E5M2 gives {@code S|0x7F}, as PyTorch does.</li>
 *   <li>F32 is copied verbatim; F64 narrows with Java's {@code (float)} cast (scalar only).</li>
 * </ul>
 * {@link Float#floatToFloat16}/{@link Float#float16ToFloat} are used only for non-NaN values: their
 * NaN results differ between the interpreter and the x86 intrinsics, which would make the result
 * depend on JIT state.
 *
 * <h2>Implementations</h2>
 * BF16 and F16 go through {@link Vectorization#codecs()} (Vector API when available, else the scalar
 * reference). F32 is a {@link MemorySegment#copy} (a memcpy on little-endian hosts). FP8 decodes through
 * 256-entry tables built from the scalar functions at class initialisation; FP8 encode, F64 and the
 * integer types stay scalar: they are rare in checkpoints and not worth SIMD code.
 */
public final class Codecs {

    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final CodecSupport IMPL = Vectorization.codecs();

    private static final float[] E4M3_TABLE = new float[256];
    private static final float[] E5M2_TABLE = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E4M3_TABLE[b] = e4m3ToFloat((byte) b);
            E5M2_TABLE[b] = e5m2ToFloat((byte) b);
        }
    }

    private Codecs() {
    }

    /** Bytes copied at a time out of a file mapping before decoding (see {@link #decodeMapped}). */
    private static final int STAGE_BYTES = 1 << 18;
    private static final ThreadLocal<MemorySegment> STAGE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STAGE_BYTES, 64));

    /** Decodes {@code count} elements of {@code src}, starting at element {@code from}, into {@code dst}. */
    public static void decode(DType dtype, MemorySegment src, long from, float[] dst, int dstOff, int count) {
        Objects.checkFromIndexSize(dstOff, count, dst.length);
        Objects.checkFromIndexSize(from, count, src.byteSize() / dtype.size());
        if (dtype != DType.F32 && src.isMapped()) {
            decodeMapped(dtype, src, from, dst, dstOff, count);
            return;
        }
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, F32, from * 4, dst, dstOff, count);
            case BF16 -> IMPL.decodeBf16(src, from, dst, dstOff, count);
            case F16 -> IMPL.decodeF16(src, from, dst, dstOff, count);
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) src.get(F64, (from + i) * 8);
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = E4M3_TABLE[src.get(ValueLayout.JAVA_BYTE, from + i) & 0xFF];
                }
            }
            case F8_E5M2 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = E5M2_TABLE[src.get(ValueLayout.JAVA_BYTE, from + i) & 0xFF];
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

    /**
     * Decodes from a file mapping through a small per-thread native buffer. If another process truncates a
     * mapped input file, touching the lost pages raises SIGBUS. Inside {@link MemorySegment#copy} (an Unsafe
     * copy) HotSpot turns that into an {@link InternalError} the caller can report; in JIT-compiled loads (the
     * Vector API kernels, plain segment reads) it kills the JVM: observed on Temurin 25 with an hs_err file in
     * {@code VectorCodecSupport.decodeBf16}. So mapped bytes are read only by {@code MemorySegment.copy}, and the
     * kernels decode the staged copy while it is still in cache. F32 is a {@code MemorySegment.copy} already.
     */
    private static void decodeMapped(DType dtype, MemorySegment src, long from, float[] dst, int dstOff, int count) {
        MemorySegment stage = STAGE.get();
        int size = dtype.size();
        int perStage = STAGE_BYTES / size;
        for (int done = 0; done < count; ) {
            int n = Math.min(perStage, count - done);
            MemorySegment.copy(src, (from + done) * size, stage, 0, (long) n * size);
            decode(dtype, stage, 0, dst, dstOff + done, n);
            done += n;
        }
    }

    /** Encodes {@code count} floats from {@code src} into {@code dst} as {@code dtype}, starting at element {@code to}. */
    public static void encode(DType dtype, float[] src, int srcOff, int count, MemorySegment dst, long to) {
        Objects.checkFromIndexSize(srcOff, count, src.length);
        Objects.checkFromIndexSize(to, count, dst.byteSize() / dtype.size());
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, F32, to * 4, count);
            case BF16 -> IMPL.encodeBf16(src, srcOff, count, dst, to);
            case F16 -> IMPL.encodeF16(src, srcOff, count, dst, to);
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

    // ---- float16 ----------------------------------------------------------------------------------

    /** Exact widening; NaN payloads move up 13 bits unchanged (see the class NaN rules). */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0) {
            return Float.intBitsToFloat(((h & 0x8000) << 16) | 0x7F800000 | ((h & 0x03FF) << 13));
        }
        return Float.float16ToFloat(bits);
    }

    /** Round to nearest even (overflow to infinity); NaN keeps its sign and top 10 payload bits, made quiet. */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) (((bits >>> 16) & 0x8000) | 0x7E00 | ((bits >>> 13) & 0x03FF));
        }
        return Float.floatToFloat16(f);
    }

    // ---- float8: generic small-float rounding, PyTorch's overflow rules ---------------------------

    /** Exact; the NaN code decodes to the quiet NaN 0x7FC00000 with the byte's sign. */
    public static float e4m3ToFloat(byte b) {
        int v = b & 0xFF;
        int sign = (v >>> 7) << 31;
        int exp = (v >>> 3) & 0xF;
        int man = v & 0x7;
        if (exp == 0xF && man == 0x7) {
            return Float.intBitsToFloat(sign | 0x7FC00000);
        }
        float mag = exp == 0 ? man * 0x1p-9f : (1f + man / 8f) * Math.scalb(1f, exp - 7);
        // The sign goes on as a bit so that -0 and NaN signs never depend on how negation is compiled.
        return Float.intBitsToFloat(sign | Float.floatToRawIntBits(mag));
    }

    /** Exact; E5M2 is the top byte of an IEEE half and follows {@link #f16ToFloat}'s NaN rule. */
    public static float e5m2ToFloat(byte b) {
        return f16ToFloat((short) ((b & 0xFF) << 8));
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
