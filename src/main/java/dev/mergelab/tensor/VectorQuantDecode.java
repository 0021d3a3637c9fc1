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
 * {@link QuantDecode}'s dequantizers with the Vector API, for the panels of the quantized matmul: every value has the
 * reference's bits. Q8_0 and Q4_0: V quants loaded as V bytes, widened to int lanes (x86 has no byte shifts, so
 * nibbles are unpacked in 32-bit lanes), converted to floats (exact) and scaled with the reference's float operations.
 * Q4_K and Q6_K: a block's quants unpacked to bytes and its scales to floats by {@link QuantVectorMatvec}'s
 * unpackers, then widened and scaled V at a time. Works where V is 8 or 16 (a block's runs of 16 and 32 quants are
 * whole vectors and the narrowest byte vector is 64 bits); {@link #supported} says so, and other widths use the
 * reference.
 */
final class VectorQuantDecode {

    private static final VectorSpecies<Float> F = VectorCodecSupport.floatSpecies();
    private static final int V = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Byte> B =
            V == 8 || V == 16 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(V * 8)) : null;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorQuantDecode() {
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

    /**
     * Q4_K a block at a time: quants unpacked to bytes and the eight scale/min pairs to floats by the matvec's unpackers
     * ({@link QuantVectorMatvec#unpackK4}, {@link QuantVectorMatvec#scalesK4}), then {@code fma(q, d·sc, −dmin·m)}:
     * the reference's {@code d·sc·q − dmin·m} (the product is exact, so one rounding either way). Decoding in
     * registers in one method instead compiled to boxed vectors (too many lane operations for C2 to inline).
     */
    private static void q4K(MemorySegment m, long p, int blocks, float[] y, int o) {
        byte[] q = new byte[256];
        float[] s = new float[16];
        for (int i = 0; i < blocks; i++, p += 144, o += 256) {
            QuantVectorMatvec.unpackK4(m, p, 1, q, 0);
            QuantVectorMatvec.scalesK4(m, p, 1, s, 0);
            for (int e = 0; e < 256; e += V) {
                int sub = e >> 5;
                floats(q, e).fma(s[sub], s[8 + sub]).intoArray(y, o + e);
            }
        }
    }

    /** Q6_K a block at a time, as {@link #q4K}: {@code (q − 32)·(d·sc)}, d·sc per 16 quants. */
    private static void q6K(MemorySegment m, long p, int blocks, float[] y, int o) {
        byte[] q = new byte[256];
        float[] s = new float[16];
        for (int i = 0; i < blocks; i++, p += 210, o += 256) {
            QuantVectorMatvec.unpack6(m, p, 1, q, 0);
            QuantVectorMatvec.scales6(m, p, 1, s, 0);
            for (int e = 0; e < 256; e += V) {
                floats(q, e).mul(s[e >> 4]).intoArray(y, o + e);
            }
        }
    }

    /** V bytes of {@code q} from {@code o} as floats. */
    private static FloatVector floats(byte[] q, int o) {
        return (FloatVector) ByteVector.fromArray(B, q, o).convertShape(VectorOperators.B2F, F, 0);
    }
}
