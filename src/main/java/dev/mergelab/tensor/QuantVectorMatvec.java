package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API quantized matvec (generation: one token, every weight read once). Q8_0 and Q4_0: each block
 * dequantized in registers and fed straight to the FMA chains of four (two) rows. Q4_K and Q6_K: eight blocks of each
 * of four rows unpacked to one byte per quant and their scales to floats (in L1), then swept as Q8_0 is
 * ({@link #twoPass}). Element k of a row is added into lane {@code k mod V} in ascending k, with the weight ggml's
 * dequantizer gives ({@link QuantDecode}: the same integer unpacking and the same float operations, or an FMA where
 * that is provably the same rounding), so the result has the bits of the F32 matvec of the dequantized matrix
 * ({@link MatrixKernels}' order, lanes folded by {@link ScalarMatrixSupport#treeSum}).
 *
 * <p>Where the time goes: a weight costs its share of a byte load widened to int lanes (VPMOVZXBD/VPMOVSXBD, a
 * shuffle-port operation), its bit field (zero to four integer lane operations, or a share of the byte unpacking),
 * a conversion to float (VCVTDQ2PS), a scale (VMULPS, or one VFMADD for Q4_K's {@code d·sc·q − dmin·m}) and the FMA
 * with x. Per-block scales are not computed with scalar code (ggml's 6-bit Q4_K scales cost more scalar instructions
 * than the block's vector work): they are unpacked for the whole block in one vector, stored to a small array and read
 * back as broadcast loads (load ports; a broadcast from a register would take the shuffle port, which the widening
 * already saturates). The kernels are compute-bound on one core (a Q4_K weight is 4.5 bits: 10 GB/s of blocks is
 * 18 G weights/s, more than four to seven vector operations per 16 weights allow), and memory-bound only with more
 * cores than this machine has.
 *
 * <p>Why float activations and not llama.cpp's scheme (x quantized to Q8_0/Q8_K, integer dot products, one float
 * multiply per block): its results differ from the dequantized model's by x's quantization error (about 0.4% of each
 * activation per block), so a quantized model's logits would no longer equal those of its dequantized F32 copy, nor
 * be independent of matvec versus matmul; and its speed rests on VPMADDUBSW/VPDPBUSD (64 byte products summed in
 * pairs or quads per instruction), which the Vector API does not expose: its byte and short multiplications are
 * lane-wise, so the products must be widened to int lanes and added, which costs more than the float FMA. Measured
 * for Q8_0 on AVX-512 (QuantKernelRace's {@code Q8DotExperiment}): 0.7-0.8x the speed of this kernel.
 *
 * <p>Works for V = 8 and 16 float lanes (runs of 16 and 32 quants are whole vectors); {@link #supports} says so.
 */
final class QuantVectorMatvec {

    private static final VectorSpecies<Float> F = VectorCodecSupport.floatSpecies();
    private static final int V = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Byte> B =
            V == 8 || V == 16 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(V * 8)) : null;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private QuantVectorMatvec() {
    }

    /** True when this width is handled here: V = 8 or 16, rows of whole vectors, a vector-loadable segment. */
    static boolean supports(QuantMatrix w) {
        return B != null && w.cols() % V == 0 && VectorCodecSupport.vectorLoadable(w.data());
    }

    /**
     * Rows per pass of each type's kernel: as many as C2 compiles without boxing. C2 stops inlining into a method
     * once its graph is too large (NodeCountInliningCutoff), and every Vector API call costs hundreds of nodes before
     * they fold, so a kernel may hold only about twenty lane operations; a call it cannot inline boxes its vectors and
     * runs tens of times slower. Q8_0 takes four rows (four operations each), Q4_0 two (seven); the K types are
     * unpacked to bytes first ({@link #twoPass}), then swept four rows at a time.
     */
    private static int rowsPerPass(QuantType type) {
        return switch (type) {
            case Q8_0 -> 4;
            case Q4_0 -> 2;
            case Q4_K, Q6_K -> 4;
        };
    }

    /** As {@link QuantKernels#matvec}; {@link #supports} must hold. */
    static void matvec(QuantMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        QuantType type = w.type();
        MemorySegment m = w.data();
        int blocks = w.cols() / type.blockSize;
        long stride = type.rowBytes(w.cols());
        int group = rowsPerPass(type);
        float[] lanes = new float[4 * V];
        boolean twoPass = type == QuantType.Q4_K || type == QuantType.Q6_K;
        float[] scales = twoPass ? new float[4 * CHUNK_BLOCKS * 16] : null;
        byte[] unpacked = twoPass ? new byte[4 * CHUNK_BLOCKS * 256] : null;
        int r = rowFrom;
        for (; r + group <= rowTo; r += group) {
            long p = w.rowOffset(r);
            switch (type) {
                case Q8_0 -> q8_0(m, p, stride, blocks, x, xOff, lanes);
                case Q4_0 -> q4_0(m, p, stride, blocks, x, xOff, lanes);
                case Q4_K, Q6_K -> twoPass(type, m, p, stride, blocks, x, xOff, lanes, scales, unpacked);
            }
            int o = yOff + r - rowFrom;
            for (int j = 0; j < group; j++) {
                y[o + j] = ScalarMatrixSupport.treeSum(lanes, j * V, V);
            }
        }
        if (r < rowTo) {
            // the last rows of a range that is not whole groups (ranges from ParallelRows are groups of four): the
            // reference order through the general kernel, the same bits
            MatrixKernels.matvec(w, x, xOff, y, yOff + r - rowFrom, r, rowTo);
        }
    }

    /** An f16 scale: the CPU's conversion, equal to {@link Codecs#f16ToFloat} except for NaN payloads. */
    private static float f16(MemorySegment m, long p) {
        return Float.float16ToFloat(m.get(ValueLayout.JAVA_SHORT_UNALIGNED, p));
    }

    /** V signed bytes from {@code p} as floats. */
    private static FloatVector signedFloats(MemorySegment m, long p) {
        return (FloatVector) ByteVector.fromMemorySegment(B, m, p, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /** V bytes from {@code p} as unsigned int lanes. */
    private static IntVector unsigned(MemorySegment m, long p) {
        return (IntVector) ByteVector.fromMemorySegment(B, m, p, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** Q8_0: x = q·d, as {@link QuantDecode#q8_0}. */
    private static void q8_0(MemorySegment m, long p, long stride, int blocks, float[] x, int xo, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long p1 = p + stride, p2 = p1 + stride, p3 = p2 + stride;
        for (int i = 0; i < blocks; i++, p += 34, p1 += 34, p2 += 34, p3 += 34, xo += 32) {
            float d0 = f16(m, p), d1 = f16(m, p1), d2 = f16(m, p2), d3 = f16(m, p3);
            for (int j = 0; j < 32; j += V) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + j);
                a0 = signedFloats(m, p + 2 + j).mul(d0).fma(xv, a0);
                a1 = signedFloats(m, p1 + 2 + j).mul(d1).fma(xv, a1);
                a2 = signedFloats(m, p2 + 2 + j).mul(d2).fma(xv, a2);
                a3 = signedFloats(m, p3 + 2 + j).mul(d3).fma(xv, a3);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
        a2.intoArray(lanes, 2 * V);
        a3.intoArray(lanes, 3 * V);
    }

    /**
     * Q4_0: x = ((q &amp; 15) − 8)·d, low nibbles first (elements 0..15), then high ones (16..31); with V = 8 the two
     * halves of the 16 bytes are taken in that order too, so each lane still sees ascending elements.
     */
    private static void q4_0(MemorySegment m, long p, long stride, int blocks, float[] x, int xo, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        long p1 = p + stride;
        for (int i = 0; i < blocks; i++, p += 18, p1 += 18, xo += 32) {
            float d0 = f16(m, p), d1 = f16(m, p1);
            for (int h = 0; h < 2; h++) {
                int shift = 4 * h;
                for (int j = 0; j < 16; j += V) {
                    FloatVector xv = FloatVector.fromArray(F, x, xo + 16 * h + j);
                    a0 = nibble(m, p + 2 + j, shift).mul(d0).fma(xv, a0);
                    a1 = nibble(m, p1 + 2 + j, shift).mul(d1).fma(xv, a1);
                }
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
    }

    /** ((b &gt;&gt;&gt; shift) &amp; 15) − 8 of the V bytes at {@code p}, as floats (exact). */
    private static FloatVector nibble(MemorySegment m, long p, int shift) {
        return floats(unsigned(m, p).lanewise(VectorOperators.LSHR, shift).and(0x0F).sub(8));
    }

    // ---- Q4_K ----------------------------------------------------------------------------------------------

    /**
     * Where each of the 16 lanes of the unpacked Q4_K scales (lanes 0..7: the sub-blocks' 6-bit scales, 8..15:
     * their mins; get_scale_min_k4) takes its low part and its high two bits from the 12 scale bytes, and how.
     */
    private static final int[] K4_LOW_BYTE = {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11};
    private static final int[] K4_LOW_SHIFT = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4};
    private static final int[] K4_LOW_MASK = {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15};
    private static final int[] K4_HIGH_BYTE = {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7};
    private static final int[] K4_HIGH_MASK = {0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30};

    /** The Q4_K scale unpacking as vectors (null where V is not 16: that width unpacks with scalar code). */
    private static final K4Unpack K4 = V == 16 ? new K4Unpack() : null;

    private static final class K4Unpack {
        final VectorShuffle<Integer> low = VectorShuffle.fromArray(I, K4_LOW_BYTE, 0);
        final VectorShuffle<Integer> high = VectorShuffle.fromArray(I, K4_HIGH_BYTE, 0);
        final IntVector lowShift = IntVector.fromArray(I, K4_LOW_SHIFT, 0);
        final IntVector lowMask = IntVector.fromArray(I, K4_LOW_MASK, 0);
        final IntVector highMask = IntVector.fromArray(I, K4_HIGH_MASK, 0);
        /** Lanes 0..7 take d, 8..15 dmin. */
        final jdk.incubator.vector.VectorMask<Float> mins = jdk.incubator.vector.VectorMask.fromLong(F, 0xFF00L);
    }

    /**
     * The row's Q4_K scales, block by block from {@code p}: block b's eight {@code d·sc} into
     * {@code s[at + 16b ..]} and its eight {@code −dmin·m} (negated, so that the kernel broadcasts them straight from
     * memory) into {@code s[at + 16b + 8 ..]}, the floats
     * {@link QuantDecode#q4K} computes (each an exact product of an f16 and a 6-bit integer). Unpacked in one vector
     * per block where V = 16; ggml's bit juggling in scalar code costs more than the block's own vector work.
     */
    static void scalesK4(MemorySegment m, long p, int blocks, float[] s, int at) {
        for (int i = 0; i < blocks; i++, p += 144, at += 16) {
            float d = f16(m, p);
            float dmin = f16(m, p + 2);
            if (K4 != null) {
                // 16 bytes from the scales on (the last four are quants, never selected)
                IntVector b = unsigned(m, p + 4);
                IntVector low = b.rearrange(K4.low).lanewise(VectorOperators.LSHR, K4.lowShift).and(K4.lowMask);
                IntVector high = b.rearrange(K4.high).lanewise(VectorOperators.LSHR, 2).and(K4.highMask);
                FloatVector dd = FloatVector.broadcast(F, d).blend(-dmin, K4.mins);
                floats(low.or(high)).mul(dd).intoArray(s, at);
            } else {
                for (int j = 0; j < 8; j++) {
                    s[at + j] = d * QuantDecode.scaleK4(m, p + 4, j);
                    s[at + 8 + j] = -dmin * QuantDecode.minK4(m, p + 4, j);
                }
            }
        }
    }

    // ---- Q6_K ----------------------------------------------------------------------------------------------

    /** Q6_K scales of {@code blocks} blocks from {@code p}: block b's sixteen {@code d·sc} into {@code s[at + 16b ..]}. */
    static void scales6(MemorySegment m, long p, int blocks, float[] s, int at) {
        for (int i = 0; i < blocks; i++, p += 210, at += 16) {
            float d = f16(m, p + 208);
            if (V == 16) {
                signedFloats(m, p + 192).mul(d).intoArray(s, at);
            } else {
                for (int j = 0; j < 16; j++) {
                    s[at + j] = d * QuantDecode.scale6(m, p + 192, j);
                }
            }
        }
    }

    // ---- K types: unpack to bytes, then sweep ---------------------------------------------------------------

    /** Blocks per row unpacked at once by {@link #twoPass}: 2048 quants of each of four rows, 8 KiB of bytes (in L1). */
    private static final int CHUNK_BLOCKS = 8;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;

    /**
     * Q4_K and Q6_K rows, four at a time, a chunk of {@link #CHUNK_BLOCKS} blocks per pass: each row's quants are
     * first unpacked to one byte each, in element order ({@link #unpackK4}, {@link #unpack6}: bit operations on 32
     * bytes at a time, no widening), and its block scales to floats ({@link #scalesK4}, {@link #scales6}); then one
     * sweep widens V bytes to floats, scales them and feeds four FMA chains ({@link #sweepK4}, {@link #sweep6}). Done in
     * registers in one pass instead, a Q6_K quant costs eleven lane operations, two of them widening shuffles, and a
     * kernel fits only one or two rows before C2 stops inlining (see {@link #rowsPerPass}); unpacked, the sweep costs
     * what Q8_0's does. The weights and their order into the lanes are those of the reference.
     */
    private static void twoPass(QuantType type, MemorySegment m, long p, long stride, int blocks, float[] x, int xOff,
            float[] lanes, float[] scales, byte[] q) {
        java.util.Arrays.fill(lanes, 0f);
        for (int b0 = 0; b0 < blocks; b0 += CHUNK_BLOCKS) {
            int nb = Math.min(CHUNK_BLOCKS, blocks - b0);
            for (int j = 0; j < 4; j++) {
                long at = p + j * stride + b0 * (long) type.blockBytes;
                if (type == QuantType.Q4_K) {
                    unpackK4(m, at, nb, q, j * CHUNK_BLOCKS * 256);
                    scalesK4(m, at, nb, scales, j * CHUNK_BLOCKS * 16);
                } else {
                    unpack6(m, at, nb, q, j * CHUNK_BLOCKS * 256);
                    scales6(m, at, nb, scales, j * CHUNK_BLOCKS * 16);
                }
            }
            if (type == QuantType.Q4_K) {
                sweepK4(q, scales, nb, x, xOff + 256 * b0, lanes);
            } else {
                sweep6(q, scales, nb, x, xOff + 256 * b0, lanes);
            }
        }
    }

    /** Q4_K quants of {@code nb} blocks from {@code p} into {@code q[o ..]}: byte 32g + l gives elements 64g + l (low nibble) and 64g + 32 + l (high). */
    static void unpackK4(MemorySegment m, long p, int nb, byte[] q, int o) {
        for (int i = 0; i < nb; i++, p += 144) {
            for (int g = 0; g < 4; g++, o += 64) {
                IntVector v = IntVector.fromMemorySegment(I256, m, p + 16 + 32 * g, LE);
                v.and(0x0F0F0F0F).reinterpretAsBytes().intoArray(q, o);
                v.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F).reinterpretAsBytes().intoArray(q, o + 32);
            }
        }
    }

    /**
     * Q6_K quants minus 32 of {@code nb} blocks from {@code p} into {@code q[o ..]}: in each half, element 32k + l is
     * the low (k = 0, 1) or high (k = 2, 3) nibble of {@code ql[l + 32·(k &amp; 1)]} with bits 2k, 2k+1 of
     * {@code qh[l]} above it. Bit operations on int lanes stay within each byte (the shifts are followed by masks that
     * keep only bits that came from the same byte; qh is rotated, not shifted, so no bit is lost), and the
     * subtraction is in byte lanes.
     */
    static void unpack6(MemorySegment m, long p, int nb, byte[] q, int o) {
        for (int i = 0; i < nb; i++, p += 210) {
            for (int half = 0; half < 2; half++) {
                long ql = p + 64 * half;
                IntVector h = IntVector.fromMemorySegment(I256, m, p + 128 + 32 * half, LE);
                for (int k = 0; k < 4; k++, o += 32) {
                    IntVector low = IntVector.fromMemorySegment(I256, m, ql + 32 * (k & 1), LE)
                            .lanewise(VectorOperators.LSHR, 4 * (k >> 1)).and(0x0F0F0F0F);
                    IntVector high = h.lanewise(VectorOperators.ROL, 4 - 2 * k).and(0x30303030);
                    low.or(high).reinterpretAsBytes().sub((byte) 32).intoArray(q, o);
                }
            }
        }
    }

    /** V bytes of {@code q} from {@code o} as floats. */
    private static FloatVector floats(byte[] q, int o) {
        return (FloatVector) ByteVector.fromArray(B, q, o).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * The sweep of four unpacked Q4_K rows ({@code q[j·CHUNK_BLOCKS·256 ..]}, scales {@code s[j·CHUNK_BLOCKS·16 ..]}):
     * element e of block b is {@code fma(q, d·sc, −dmin·m)} of its sub-block e / 32, exactly the reference's
     * {@code d·sc·q − dmin·m} (the product is exact, see {@link #scalesK4}).
     */
    private static void sweepK4(byte[] q, float[] s, int nb, float[] x, int xo, float[] lanes) {
        final int rq = CHUNK_BLOCKS * 256;
        final int rs = CHUNK_BLOCKS * 16;
        FloatVector a0 = FloatVector.fromArray(F, lanes, 0), a1 = FloatVector.fromArray(F, lanes, V);
        FloatVector a2 = FloatVector.fromArray(F, lanes, 2 * V), a3 = FloatVector.fromArray(F, lanes, 3 * V);
        for (int e = 0, n = 256 * nb; e < n; e += 32) {
            int at = 16 * (e >> 8) + ((e >> 5) & 7);
            FloatVector d0 = FloatVector.broadcast(F, s[at]), n0 = FloatVector.broadcast(F, s[at + 8]);
            FloatVector d1 = FloatVector.broadcast(F, s[rs + at]), n1 = FloatVector.broadcast(F, s[rs + at + 8]);
            FloatVector d2 = FloatVector.broadcast(F, s[2 * rs + at]), n2 = FloatVector.broadcast(F, s[2 * rs + at + 8]);
            FloatVector d3 = FloatVector.broadcast(F, s[3 * rs + at]), n3 = FloatVector.broadcast(F, s[3 * rs + at + 8]);
            for (int l = 0; l < 32; l += V) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + e + l);
                a0 = floats(q, e + l).fma(d0, n0).fma(xv, a0);
                a1 = floats(q, rq + e + l).fma(d1, n1).fma(xv, a1);
                a2 = floats(q, 2 * rq + e + l).fma(d2, n2).fma(xv, a2);
                a3 = floats(q, 3 * rq + e + l).fma(d3, n3).fma(xv, a3);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
        a2.intoArray(lanes, 2 * V);
        a3.intoArray(lanes, 3 * V);
    }

    /** The sweep of four unpacked Q6_K rows: element e is {@code (q − 32)·(d·sc[e / 16])}, as the reference. */
    private static void sweep6(byte[] q, float[] s, int nb, float[] x, int xo, float[] lanes) {
        final int rq = CHUNK_BLOCKS * 256;
        final int rs = CHUNK_BLOCKS * 16;
        FloatVector a0 = FloatVector.fromArray(F, lanes, 0), a1 = FloatVector.fromArray(F, lanes, V);
        FloatVector a2 = FloatVector.fromArray(F, lanes, 2 * V), a3 = FloatVector.fromArray(F, lanes, 3 * V);
        for (int e = 0, n = 256 * nb; e < n; e += 16) {
            int at = e >> 4;
            float s0 = s[at], s1 = s[rs + at], s2 = s[2 * rs + at], s3 = s[3 * rs + at];
            for (int l = 0; l < 16; l += V) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + e + l);
                a0 = floats(q, e + l).mul(s0).fma(xv, a0);
                a1 = floats(q, rq + e + l).mul(s1).fma(xv, a1);
                a2 = floats(q, 2 * rq + e + l).mul(s2).fma(xv, a2);
                a3 = floats(q, 3 * rq + e + l).mul(s3).fma(xv, a3);
            }
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
        a2.intoArray(lanes, 2 * V);
        a3.intoArray(lanes, 3 * V);
    }
}
