package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the 16-bit float codecs. Each loop works on {@code F.length()} elements at a
 * time: 16-bit lanes are loaded at half the register width and widened to 32-bit lanes (or narrowed on
 * the way out), and the remainder goes through the scalar helpers, so the tail is trivially identical
 * to the reference.
 *
 * <p>JDK 25's {@code VectorOperators} has no float16 conversion (only numeric S2F), so F16 is done with
 * integer bit manipulation plus one float add for the subnormal rounding. The formulas are written out
 * next to each kernel and are checked bit for bit against {@link Codecs#f16ToFloat} and
 * {@link Codecs#floatToF16} for all 65536 halves and for random and edge-case floats.
 *
 * <p>The Vector API loads from heap segments only when they wrap a {@code byte[]}; other heap segments
 * (for example one wrapping a {@code short[]}) go to the scalar path. Mapped and arena segments are native.
 */
final class VectorCodecSupport implements CodecSupport {

    private static final VectorSpecies<Float> F = floatSpecies();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Same lane count as {@link #F}, half the bits. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int LANES = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    static final VectorCodecSupport INSTANCE = new VectorCodecSupport();

    private VectorCodecSupport() {
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    /**
     * The preferred float species, or the width in bits given by {@code -Dmergelab.vector.bits=128|256|512}.
     * The property exists so that tests can run every lane layout on one machine; a width the CPU does
     * not have runs as plain Java and is very slow, so it is not for production use.
     */
    static VectorSpecies<Float> floatSpecies() {
        String bits = System.getProperty("mergelab.vector.bits");
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(Integer.parseInt(bits.trim())));
    }

    static boolean vectorLoadable(MemorySegment s) {
        return s.isNative() || s.heapBase().orElse(null) instanceof byte[];
    }

    private static IntVector loadWidened(MemorySegment src, long byteOff) {
        return (IntVector) ShortVector.fromMemorySegment(S, src, byteOff, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
    }

    private static void storeNarrowed(IntVector v, MemorySegment dst, long byteOff) {
        ((ShortVector) v.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(dst, byteOff, LE);
    }

    // ---- bf16 -------------------------------------------------------------------------------------

    @Override
    public void decodeBf16(MemorySegment src, long from, float[] dst, int dstOff, int count) {
        if (!vectorLoadable(src)) {
            ScalarCodecSupport.INSTANCE.decodeBf16(src, from, dst, dstOff, count);
            return;
        }
        int i = 0;
        for (int bound = F.loopBound(count); i < bound; i += LANES) {
            loadWidened(src, (from + i) * 2).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < count; i++) {
            dst[dstOff + i] = Codecs.bf16ToFloat(src.get(Codecs.I16, (from + i) * 2));
        }
    }

    @Override
    public void encodeBf16(float[] src, int srcOff, int count, MemorySegment dst, long to) {
        if (!vectorLoadable(dst)) {
            ScalarCodecSupport.INSTANCE.encodeBf16(src, srcOff, count, dst, to);
            return;
        }
        int i = 0;
        for (int bound = F.loopBound(count); i < bound; i += LANES) {
            IntVector x = FloatVector.fromArray(F, src, srcOff + i).reinterpretAsInts();
            IntVector hi = x.lanewise(VectorOperators.LSHR, 16);
            // Round to nearest even: add 0x7FFF plus the lowest kept bit, then truncate.
            IntVector rounded = x.add(hi.and(1).add(0x7FFF)).lanewise(VectorOperators.LSHR, 16);
            // NaN: keep sign and top payload bits, force the quiet bit (so a payload cut to zero stays NaN).
            VectorMask<Integer> nan = x.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
            storeNarrowed(rounded.blend(hi.or(0x0040), nan), dst, (to + i) * 2);
        }
        for (; i < count; i++) {
            dst.set(Codecs.I16, (to + i) * 2, Codecs.floatToBf16(src[srcOff + i]));
        }
    }

    // ---- f16 --------------------------------------------------------------------------------------

    @Override
    public void decodeF16(MemorySegment src, long from, float[] dst, int dstOff, int count) {
        if (!vectorLoadable(src)) {
            ScalarCodecSupport.INSTANCE.decodeF16(src, from, dst, dstOff, count);
            return;
        }
        int i = 0;
        for (int bound = F.loopBound(count); i < bound; i += LANES) {
            IntVector h = loadWidened(src, (from + i) * 2);
            IntVector em = h.and(0x7FFF);
            IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
            // Normal: rebias the exponent by 127 - 15 = 112 (0x38000000 once shifted into place).
            IntVector normal = shifted.add(0x38000000);
            // Inf/NaN: exponent 31 must become 255, i.e. add 224 << 23; the payload moves up 13 bits as is.
            IntVector special = shifted.add(0x70000000);
            // Zero/subnormal: the value is em * 2^-24 exactly (em < 1024 converts to float exactly).
            IntVector sub = ((FloatVector) em.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
            IntVector mag = normal.blend(special, em.compare(VectorOperators.GE, 0x7C00))
                    .blend(sub, em.compare(VectorOperators.LT, 0x0400));
            IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            mag.or(sign).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < count; i++) {
            dst[dstOff + i] = Codecs.f16ToFloat(src.get(Codecs.I16, (from + i) * 2));
        }
    }

    @Override
    public void encodeF16(float[] src, int srcOff, int count, MemorySegment dst, long to) {
        if (!vectorLoadable(dst)) {
            ScalarCodecSupport.INSTANCE.encodeF16(src, srcOff, count, dst, to);
            return;
        }
        int i = 0;
        for (int bound = F.loopBound(count); i < bound; i += LANES) {
            IntVector x = FloatVector.fromArray(F, src, srcOff + i).reinterpretAsInts();
            IntVector a = x.and(0x7FFFFFFF);
            // Normal half (|x| >= 2^-14): round to nearest even at bit 13, then rebias by 112 << 10.
            IntVector lsb = a.lanewise(VectorOperators.LSHR, 13).and(1);
            IntVector normal = a.add(lsb.add(0x0FFF - 0x38000000)).lanewise(VectorOperators.LSHR, 13);
            // Subnormal half: adding 0.5f aligns the half's 2^-24 quantum with the float's last bit, so
            // the hardware add does the round-to-nearest-even; the code is what lies above 0.5f.
            IntVector sub = a.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F000000);
            // NaN: sign, top 10 payload bits, quiet bit forced (same rule as bf16).
            IntVector nan = a.lanewise(VectorOperators.LSHR, 13).and(0x03FF).or(0x7E00);
            IntVector mag = normal.blend(sub, a.compare(VectorOperators.LT, 0x38800000))
                    // 65520 (0x477FF000) and above round to infinity: 65504 is odd, so the tie goes up.
                    .blend(IntVector.broadcast(I, 0x7C00), a.compare(VectorOperators.GE, 0x477FF000))
                    .blend(nan, a.compare(VectorOperators.GT, 0x7F800000));
            IntVector sign = x.lanewise(VectorOperators.LSHR, 16).and(0x8000);
            storeNarrowed(mag.or(sign), dst, (to + i) * 2);
        }
        for (; i < count; i++) {
            dst.set(Codecs.I16, (to + i) * 2, Codecs.floatToF16(src[srcOff + i]));
        }
    }
}
