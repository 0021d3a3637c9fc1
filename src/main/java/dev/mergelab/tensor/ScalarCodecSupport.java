package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;

/** The reference implementation: one element at a time through the scalar helpers on {@link Codecs}. */
final class ScalarCodecSupport implements CodecSupport {

    static final ScalarCodecSupport INSTANCE = new ScalarCodecSupport();

    private ScalarCodecSupport() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void decodeBf16(MemorySegment src, long from, float[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOff + i] = Codecs.bf16ToFloat(src.get(Codecs.I16, (from + i) * 2));
        }
    }

    @Override
    public void encodeBf16(float[] src, int srcOff, int count, MemorySegment dst, long to) {
        for (int i = 0; i < count; i++) {
            dst.set(Codecs.I16, (to + i) * 2, Codecs.floatToBf16(src[srcOff + i]));
        }
    }

    @Override
    public void decodeF16(MemorySegment src, long from, float[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOff + i] = Codecs.f16ToFloat(src.get(Codecs.I16, (from + i) * 2));
        }
    }

    @Override
    public void encodeF16(float[] src, int srcOff, int count, MemorySegment dst, long to) {
        for (int i = 0; i < count; i++) {
            dst.set(Codecs.I16, (to + i) * 2, Codecs.floatToF16(src[srcOff + i]));
        }
    }
}
