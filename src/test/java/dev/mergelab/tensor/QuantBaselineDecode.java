package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Benchmark baseline only: the Vector API dequantizer as it was before the quantized kernels were tuned (commit
 * 09dbcd6), kept so that {@code QuantKernelBench} compares before and after in one run. Not used by any kernel.
 *
 * <p>{@link QuantDecode}'s dequantizers with the Vector API: V quants are loaded as V bytes, widened to int lanes
 * (x86 has no byte shifts, so nibbles and bit fields are unpacked in 32-bit lanes), turned into the small integers
 * the reference computes, converted to floats (exact) and scaled with the same float operations in the same
 * order, so every value has the reference's bits. Works where V is 8 or 16 (a
 * block's runs of 16 and 32 quants are whole vectors and the narrowest byte vector is 64 bits);
 * {@link #supported} says so, and other widths use the reference.
 */
final class QuantBaselineDecode {

    private static final VectorSpecies<Float> F = VectorCodecSupport.floatSpecies();
    private static final int V = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Byte> B =
            V == 8 || V == 16 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(V * 8)) : null;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Q6_K's lane constants held as vectors (vector-vector operations, no broadcast per use). */
    private static final IntVector LOW4 = IntVector.broadcast(I, 0x0F);
    private static final IntVector BITS45 = IntVector.broadcast(I, 0x30);
    private static final IntVector THIRTY_TWO = IntVector.broadcast(I, 32);

    private QuantBaselineDecode() {
    }

    /** True when this width is handled here (V = 8 or 16); otherwise callers use the reference. */
    static boolean supported() {
        return B != null;
    }

    /** As {@link QuantDecode#decode}; {@code m} must be vector-loadable and {@link #supported} true. */
    static void decode(QuantType type, MemorySegment m, long p, int blocks, float[] dst, int o) {
        switch (type) {
            case Q8_0 -> q8_0(m, p, blocks, dst, o);
            case Q4_0 -> q4_0(m, p, blocks, dst, o);
            case Q4_K -> q4K(m, p, blocks, dst, o);
            case Q6_K -> q6K(m, p, blocks, dst, o);
        }
    }

    /** Rows [r, r + count) of {@code w} as floats into {@code out[0 .. count·cols)}. */
    static void decodeRows(QuantMatrix w, int r, int count, float[] out) {
        decode(w.type(), w.data(), w.rowOffset(r), count * (w.cols() / w.type().blockSize), out, 0);
    }

    private static FloatVector floats(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    private static ByteVector bytes(MemorySegment m, long p) {
        return ByteVector.fromMemorySegment(B, m, p, LE);
    }

    /** V bytes from {@code p} as unsigned int lanes. */
    private static IntVector unsigned(MemorySegment m, long p) {
        return (IntVector) bytes(m, p).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    private static void q8_0(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 34, o += 32) {
            float d = QuantDecode.f16(m, p);
            for (int j = 0; j < 32; j += V) {
                floats(bytes(m, p + 2 + j)).mul(d).intoArray(y, o + j);
            }
        }
    }

    private static void q4_0(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 18, o += 32) {
            float d = QuantDecode.f16(m, p);
            for (int j = 0; j < 16; j += V) {
                IntVector q = unsigned(m, p + 2 + j);
                floats(q.and(0x0F).sub(8)).mul(d).intoArray(y, o + j);
                floats(q.lanewise(VectorOperators.LSHR, 4).sub(8)).mul(d).intoArray(y, o + j + 16);
            }
        }
    }

    private static void q4K(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 144) {
            float d = QuantDecode.f16(m, p);
            float min = QuantDecode.f16(m, p + 2);
            long q = p + 16;
            for (int is = 0; is < 8; is += 2, q += 32, o += 64) {
                float d1 = d * QuantDecode.scaleK4(m, p + 4, is);
                float m1 = min * QuantDecode.minK4(m, p + 4, is);
                float d2 = d * QuantDecode.scaleK4(m, p + 4, is + 1);
                float m2 = min * QuantDecode.minK4(m, p + 4, is + 1);
                for (int l = 0; l < 32; l += V) {
                    IntVector b = unsigned(m, q + l);
                    floats(b.and(0x0F)).mul(d1).sub(m1).intoArray(y, o + l);
                    floats(b.lanewise(VectorOperators.LSHR, 4)).mul(d2).sub(m2).intoArray(y, o + 32 + l);
                }
            }
        }
    }

    private static void q6K(MemorySegment m, long p, int blocks, float[] y, int o) {
        for (int i = 0; i < blocks; i++, p += 210) {
            float d = QuantDecode.f16(m, p + 208);
            long ql = p;
            long qh = p + 128;
            long sc = p + 192;
            for (int n = 0; n < 256; n += 128, o += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l += V) {
                    int is = l / 16;
                    IntVector a = unsigned(m, ql + l);
                    IntVector b = unsigned(m, ql + l + 32);
                    IntVector h = unsigned(m, qh + l);
                    // bits 2k, 2k+1 of h become bits 4, 5 of quant k: ((h >>> 2k) & 3) << 4
                    IntVector q1 = a.and(LOW4).or(h.lanewise(VectorOperators.LSHL, 4).and(BITS45)).sub(THIRTY_TWO);
                    IntVector q2 = b.and(LOW4).or(h.lanewise(VectorOperators.LSHL, 2).and(BITS45)).sub(THIRTY_TWO);
                    IntVector q3 = a.lanewise(VectorOperators.LSHR, 4).or(h.and(BITS45)).sub(THIRTY_TWO);
                    IntVector q4 = b.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and(BITS45)).sub(THIRTY_TWO);
                    floats(q1).mul(d * QuantDecode.scale6(m, sc, is)).intoArray(y, o + l);
                    floats(q2).mul(d * QuantDecode.scale6(m, sc, is + 2)).intoArray(y, o + l + 32);
                    floats(q3).mul(d * QuantDecode.scale6(m, sc, is + 4)).intoArray(y, o + l + 64);
                    floats(q4).mul(d * QuantDecode.scale6(m, sc, is + 6)).intoArray(y, o + l + 96);
                }
            }
        }
    }
}
