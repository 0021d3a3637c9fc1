package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every bit pattern of every narrow float type: decoding gives the exact value the format defines
 * (checked against {@link SmallFloatFormat}, not against the codec's own helpers), encoding the decoded
 * value gives the pattern back, and NaNs follow the documented rules. Runs through the public
 * {@link Codecs} entry points and, for BF16/F16, through both the scalar and the vector implementation.
 */
class CodecExhaustiveTest {

    static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static List<CodecSupport> impls() {
        List<CodecSupport> l = new ArrayList<>();
        l.add(Vectorization.scalarCodecs());
        Vectorization.vectorCodecs().ifPresent(l::add);
        return l;
    }

    @Test
    void testJvmRunsTheVectorImplementation() {
        // surefire passes --add-modules jdk.incubator.vector; if this fails the equivalence tests prove nothing.
        assertTrue(Vectorization.vectorCodecs().isPresent(), Vectorization.description());
        assertTrue(Vectorization.vectorKernels().isPresent(), Vectorization.description());
        assertTrue(Vectorization.codecs().name().startsWith("vector"), Vectorization.description());
    }

    @TestFactory
    List<DynamicTest> sixteenBitTypesRoundTripEveryPattern() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SmallFloatFormat fmt : List.of(SmallFloatFormat.BF16, SmallFloatFormat.F16)) {
            for (CodecSupport impl : impls()) {
                tests.add(DynamicTest.dynamicTest(fmt.dtype + " " + impl.name(), () -> checkSixteen(fmt, impl)));
            }
            tests.add(DynamicTest.dynamicTest(fmt.dtype + " via Codecs", () -> checkSixteen(fmt, null)));
        }
        return tests;
    }

    private static void checkSixteen(SmallFloatFormat fmt, CodecSupport impl) {
        int n = 65536;
        try (Arena arena = Arena.ofConfined()) {
            // One byte of slack so the data starts at an odd address: codecs must not assume alignment.
            MemorySegment src = arena.allocate(2L * n + 1).asSlice(1);
            for (int h = 0; h < n; h++) {
                src.set(LE16, 2L * h, (short) h);
            }
            float[] f = new float[n];
            decode(fmt.dtype, impl, src, f);
            MemorySegment back = arena.allocate(2L * n + 1).asSlice(1);
            encode(fmt.dtype, impl, f, back);
            for (int hh = 0; hh < n; hh++) {
                final int h = hh;
                int fb = Float.floatToRawIntBits(f[h]);
                int hb = back.get(LE16, 2L * h) & 0xFFFF;
                if (fmt.isNaN(h)) {
                    // Decode widens the NaN bit for bit (payload into the top mantissa bits).
                    int payload = h & ((1 << fmt.mbits) - 1);
                    int expected = ((h & 0x8000) << 16) | 0x7F800000 | (payload << (23 - fmt.mbits));
                    assertEquals(expected, fb, () -> String.format("%s decode NaN %04x", fmt.dtype, h));
                    // Encode keeps sign and payload and forces the quiet bit.
                    int quiet = 1 << (fmt.mbits - 1);
                    assertEquals(h | quiet, hb, () -> String.format("%s encode NaN %04x", fmt.dtype, h));
                } else {
                    double expected = fmt.value(h);
                    assertEquals(expected, (double) f[h], 0.0, () -> String.format("%s decode %04x", fmt.dtype, h));
                    if (expected == 0) {
                        assertEquals(h & 0x8000, (fb >>> 16) & 0x8000, "sign of zero");
                    }
                    assertEquals(h, hb, () -> String.format("%s round trip %04x -> %08x", fmt.dtype, h, fb));
                }
            }
        }
    }

    @TestFactory
    List<DynamicTest> fp8TypesRoundTripEveryPattern() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SmallFloatFormat fmt : List.of(SmallFloatFormat.E4M3, SmallFloatFormat.E5M2)) {
            tests.add(DynamicTest.dynamicTest(fmt.dtype.name(), () -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment src = arena.allocate(256);
                    for (int b = 0; b < 256; b++) {
                        src.set(ValueLayout.JAVA_BYTE, b, (byte) b);
                    }
                    float[] f = new float[256];
                    Codecs.decode(fmt.dtype, src, 0, f, 0, 256);
                    MemorySegment back = arena.allocate(256);
                    Codecs.encode(fmt.dtype, f, 0, 256, back, 0);
                    for (int b = 0; b < 256; b++) {
                        int fb = Float.floatToRawIntBits(f[b]);
                        int bb = back.get(ValueLayout.JAVA_BYTE, b) & 0xFF;
                        final int code = b;
                        if (fmt.isNaN(b)) {
                            int expected = fmt.dtype == DType.F8_E4M3
                                    ? ((b & 0x80) << 24) | 0x7FC00000
                                    : ((b & 0x80) << 24) | 0x7F800000 | ((b & 3) << 21);
                            assertEquals(expected, fb, () -> String.format("decode NaN %02x", code));
                            assertEquals((b & 0x80) | 0x7F, bb, () -> String.format("encode NaN %02x", code));
                        } else {
                            assertEquals(fmt.value(b), (double) f[b], 0.0, () -> String.format("decode %02x", code));
                            assertEquals(b, bb, () -> String.format("round trip %02x", code));
                            assertEquals(b & 0x80, (fb >>> 24) & 0x80, "sign");
                        }
                        // The table-driven bulk decode agrees with the scalar helper bit for bit.
                        float single = fmt.dtype == DType.F8_E4M3 ? Codecs.e4m3ToFloat((byte) b) : Codecs.e5m2ToFloat((byte) b);
                        assertEquals(Float.floatToRawIntBits(single), fb);
                    }
                }
            }));
        }
        return tests;
    }

    @Test
    void integerTypesRoundTrip() {
        try (Arena arena = Arena.ofConfined()) {
            // Every byte value for the one-byte types.
            for (DType t : List.of(DType.I8, DType.U8)) {
                MemorySegment src = arena.allocate(256);
                for (int b = 0; b < 256; b++) {
                    src.set(ValueLayout.JAVA_BYTE, b, (byte) b);
                }
                float[] f = new float[256];
                Codecs.decode(t, src, 0, f, 0, 256);
                for (int b = 0; b < 256; b++) {
                    assertEquals(t == DType.I8 ? (byte) b : b, f[b], 0f);
                }
                MemorySegment back = arena.allocate(256);
                Codecs.encode(t, f, 0, 256, back, 0);
                assertEquals(-1L, src.mismatch(back), t.name());
            }
            // Every I16 value.
            MemorySegment s16 = arena.allocate(2 * 65536);
            for (int v = 0; v < 65536; v++) {
                s16.set(LE16, 2L * v, (short) v);
            }
            float[] f16 = new float[65536];
            Codecs.decode(DType.I16, s16, 0, f16, 0, 65536);
            for (int v = 0; v < 65536; v++) {
                assertEquals((short) v, f16[v], 0f);
            }
            MemorySegment b16 = arena.allocate(2 * 65536);
            Codecs.encode(DType.I16, f16, 0, 65536, b16, 0);
            assertEquals(-1L, s16.mismatch(b16));
            // Wider integers: every value float can hold exactly (|v| <= 2^24), sampled, plus the edges.
            float[] wide = new float[] {0f, -0f, 1f, -1f, 16777216f, -16777216f, 12345f, -98765f, 2.5f, 3.5f, -2.5f};
            long[] expected = {0, 0, 1, -1, 16777216, -16777216, 12345, -98765, 2, 4, -2};
            for (DType t : List.of(DType.I32, DType.I64)) {
                MemorySegment seg = arena.allocate((long) t.size() * wide.length);
                Codecs.encode(t, wide, 0, wide.length, seg, 0);
                float[] again = new float[wide.length];
                Codecs.decode(t, seg, 0, again, 0, wide.length);
                for (int i = 0; i < wide.length; i++) {
                    assertEquals(expected[i], (long) again[i], t + " " + wide[i]);
                }
            }
            // BOOL: non-zero is true; decode gives 0 or 1.
            MemorySegment bools = arena.allocate(4);
            Codecs.encode(DType.BOOL, new float[] {0f, -0f, 2f, Float.NaN}, 0, 4, bools, 0);
            float[] bf = new float[4];
            Codecs.decode(DType.BOOL, bools, 0, bf, 0, 4);
            assertEquals(List.of(0f, 0f, 1f, 1f), List.of(bf[0], bf[1], bf[2], bf[3]));
            // Saturation and NaN for the narrow integer encodes.
            MemorySegment i8 = arena.allocate(4);
            Codecs.encode(DType.I8, new float[] {300f, -300f, Float.NaN, 127.5f}, 0, 4, i8, 0);
            assertEquals(127, i8.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(-128, i8.get(ValueLayout.JAVA_BYTE, 1));
            assertEquals(0, i8.get(ValueLayout.JAVA_BYTE, 2));
            assertEquals(127, i8.get(ValueLayout.JAVA_BYTE, 3));
        }
    }

    static void decode(DType t, CodecSupport impl, MemorySegment src, float[] dst) {
        if (impl == null) {
            Codecs.decode(t, src, 0, dst, 0, dst.length);
        } else if (t == DType.BF16) {
            impl.decodeBf16(src, 0, dst, 0, dst.length);
        } else {
            impl.decodeF16(src, 0, dst, 0, dst.length);
        }
    }

    static void encode(DType t, CodecSupport impl, float[] src, MemorySegment dst) {
        if (impl == null) {
            Codecs.encode(t, src, 0, src.length, dst, 0);
        } else if (t == DType.BF16) {
            impl.encodeBf16(src, 0, src.length, dst, 0);
        } else {
            impl.encodeF16(src, 0, src.length, dst, 0);
        }
    }
}
