package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the codecs: encoding rounds to nearest even exactly as an independent model of each
 * format says, and the vector implementation equals the scalar reference bit for bit on random data at
 * random (unaligned) offsets and lengths.
 */
class CodecPropertiesTest {

    static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final List<SmallFloatFormat> FORMATS =
            List.of(SmallFloatFormat.BF16, SmallFloatFormat.F16, SmallFloatFormat.E4M3, SmallFloatFormat.E5M2);

    // ---- rounding against the independent reference -------------------------------------------

    /**
     * Floats that stress rounding: uniformly random bit patterns (every class: NaN, inf, subnormal,
     * normal), exact midpoints between neighbouring codes of each format and their float neighbours,
     * values around each format's overflow threshold and subnormal range, and the signed zeros/infinities.
     */
    @Provide
    Arbitrary<float[]> hardFloats() {
        Arbitrary<Float> anyBits = Arbitraries.integers().map(Float::intBitsToFloat);
        Arbitrary<Float> nearCodes = Combinators.combine(
                Arbitraries.of(FORMATS),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.integers().between(-2, 2),
                Arbitraries.of(true, false),
                Arbitraries.of(true, false)).as((fmt, c, nudge, mid, neg) -> {
                    int code = c % fmt.maxCode;
                    double lo = fmt.values[code];
                    double hi = fmt.values[code + 1];
                    double v = mid ? (lo + hi) / 2 : lo;
                    float f = (float) v; // exact: midpoints of these formats fit in a float
                    int bits = Float.floatToRawIntBits(f) + nudge;
                    float r = Float.intBitsToFloat(Math.max(0, bits));
                    return neg ? -r : r;
                });
        Arbitrary<Float> edges = Arbitraries.of(0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NaN, Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFBFFFFF),
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                65504f, 65519.996f, 65520f, 65536f, 448f, 464f, 464.00003f, 480f, 57344f, 61440f,
                0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x1p-14f, 0x1.ffcp-15f, 0x1p-9f, 0x1p-10f, 0x1p-16f,
                0x1p-17f, 3.3895314e38f, 3.3961775e38f);
        return Arbitraries.oneOf(anyBits, nearCodes, edges).array(float[].class).ofMinSize(1).ofMaxSize(200);
    }

    @Property(tries = 300)
    void encodeRoundsToNearestEven(@ForAll("hardFloats") float[] xs) {
        try (Arena arena = Arena.ofConfined()) {
            for (SmallFloatFormat fmt : FORMATS) {
                for (CodecSupport impl : CodecExhaustiveTest.impls()) {
                    MemorySegment out = arena.allocate((long) fmt.dtype.size() * xs.length + 1).asSlice(1);
                    encodeWith(fmt.dtype, impl, xs, out);
                    for (int i = 0; i < xs.length; i++) {
                        int got = fmt.dtype.size() == 2 ? out.get(LE16, 2L * i) & 0xFFFF : out.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                        float x = xs[i];
                        int bits = Float.floatToRawIntBits(x);
                        if (Float.isNaN(x)) {
                            assertTrue(fmt.isNaN(got), () -> fmt.dtype + " NaN stays NaN");
                            assertEquals(bits >>> 31, got >>> (fmt.bits - 1), "NaN sign");
                            if (fmt.dtype.size() == 2) {
                                // Top payload bits kept, quiet bit forced.
                                int expected = ((bits >>> 16) & 0x8000) | (((1 << fmt.ebits) - 1) << fmt.mbits)
                                        | (1 << (fmt.mbits - 1)) | ((bits & 0x7FFFFF) >>> (23 - fmt.mbits));
                                assertEquals(expected, got, () -> String.format("%s NaN %08x", fmt.dtype, bits));
                            } else {
                                assertEquals((bits >>> 31 << 7) | 0x7F, got);
                            }
                        } else {
                            int expected = fmt.encode(x);
                            final int g = got;
                            assertEquals(expected, got, () -> String.format("%s %s: %s (%08x) -> %x, want %x",
                                    fmt.dtype, impl.name(), x, bits, g, expected));
                        }
                    }
                }
            }
        }
    }

    /** FP8 and the through-Codecs path have no CodecSupport; 16-bit types go through the given impl. */
    static void encodeWith(DType t, CodecSupport impl, float[] xs, MemorySegment out) {
        switch (t) {
            case BF16 -> impl.encodeBf16(xs, 0, xs.length, out, 0);
            case F16 -> impl.encodeF16(xs, 0, xs.length, out, 0);
            default -> Codecs.encode(t, xs, 0, xs.length, out, 0);
        }
    }

    // ---- vector == scalar ----------------------------------------------------------------------

    /**
     * Random bytes decoded from a random (often odd) byte offset, a random element offset and a random
     * length (0 and 1 and non-multiples of the vector width included), into a destination at a random
     * offset; the vector output must equal the scalar output bit for bit, and the destination outside
     * the written range must be untouched.
     */
    @Property(tries = 400)
    void vectorDecodeEqualsScalar(@ForAll long seed, @ForAll @IntRange(min = 0, max = 300) int count,
                                  @ForAll @IntRange(min = 0, max = 7) int byteSkew, @ForAll @IntRange(min = 0, max = 9) int from,
                                  @ForAll @IntRange(min = 0, max = 5) int dstOff, @ForAll boolean heap) {
        CodecSupport vec = Vectorization.vectorCodecs().orElseThrow();
        CodecSupport ref = Vectorization.scalarCodecs();
        Random r = new Random(seed);
        long bytes = 2L * (from + count) + byteSkew;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment base = heap ? MemorySegment.ofArray(new byte[(int) bytes]) : arena.allocate(bytes);
            for (long b = 0; b < bytes; b++) {
                base.set(ValueLayout.JAVA_BYTE, b, (byte) r.nextInt());
            }
            MemorySegment src = base.asSlice(byteSkew);
            for (DType t : List.of(DType.BF16, DType.F16)) {
                float[] a = new float[dstOff + count + 3];
                float[] b = new float[dstOff + count + 3];
                java.util.Arrays.fill(a, 42f);
                java.util.Arrays.fill(b, 42f);
                if (t == DType.BF16) {
                    vec.decodeBf16(src, from, a, dstOff, count);
                    ref.decodeBf16(src, from, b, dstOff, count);
                } else {
                    vec.decodeF16(src, from, a, dstOff, count);
                    ref.decodeF16(src, from, b, dstOff, count);
                }
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), t + " at " + i);
                }
            }
        }
    }

    @Property(tries = 400)
    void vectorEncodeEqualsScalar(@ForAll("hardFloats") float[] xs, @ForAll @IntRange(min = 0, max = 7) int byteSkew,
                                  @ForAll @IntRange(min = 0, max = 9) int to, @ForAll @IntRange(min = 0, max = 5) int srcOff,
                                  @ForAll boolean heap) {
        CodecSupport vec = Vectorization.vectorCodecs().orElseThrow();
        CodecSupport ref = Vectorization.scalarCodecs();
        int count = Math.max(0, xs.length - srcOff);
        long bytes = 2L * (to + count + 2) + byteSkew;
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : List.of(DType.BF16, DType.F16)) {
                MemorySegment a = (heap ? MemorySegment.ofArray(new byte[(int) bytes]) : arena.allocate(bytes)).asSlice(byteSkew);
                MemorySegment b = arena.allocate(bytes).asSlice(byteSkew);
                a.fill((byte) 0x5A);
                b.fill((byte) 0x5A);
                if (t == DType.BF16) {
                    vec.encodeBf16(xs, srcOff, count, a, to);
                    ref.encodeBf16(xs, srcOff, count, b, to);
                } else {
                    vec.encodeF16(xs, srcOff, count, a, to);
                    ref.encodeF16(xs, srcOff, count, b, to);
                }
                assertEquals(-1L, a.mismatch(b), t.name());
            }
        }
    }

    /** Long runs, so the C2-compiled vector loops (not only the interpreter) are compared too. */
    @Property(tries = 40)
    void vectorEqualsScalarOnLongRuns(@ForAll long seed, @ForAll @IntRange(min = 1000, max = 70000) int count) {
        CodecSupport vec = Vectorization.vectorCodecs().orElseThrow();
        CodecSupport ref = Vectorization.scalarCodecs();
        Random r = new Random(seed);
        float[] xs = new float[count];
        for (int i = 0; i < count; i++) {
            xs[i] = switch (r.nextInt(4)) {
                case 0 -> Float.intBitsToFloat(r.nextInt());
                case 1 -> (float) r.nextGaussian() * 0.02f;
                case 2 -> Float.intBitsToFloat(r.nextInt(0x00800000) | (r.nextInt(40) + 90) << 23);
                default -> Float.intBitsToFloat((r.nextInt() & 0xFFFF0000) | 0x8000); // exact bf16 ties
            };
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(2L * count + 1).asSlice(1);
            MemorySegment b = arena.allocate(2L * count + 1).asSlice(1);
            float[] da = new float[count];
            float[] db = new float[count];
            vec.encodeBf16(xs, 0, count, a, 0);
            ref.encodeBf16(xs, 0, count, b, 0);
            assertEquals(-1L, a.mismatch(b), "bf16 encode");
            vec.decodeBf16(a, 0, da, 0, count);
            ref.decodeBf16(a, 0, db, 0, count);
            assertBits(db, da, "bf16 decode");
            vec.encodeF16(xs, 0, count, a, 0);
            ref.encodeF16(xs, 0, count, b, 0);
            assertEquals(-1L, a.mismatch(b), "f16 encode");
            // Decode random bits too, not only what the encoder produces.
            for (long i = 0; i < a.byteSize(); i++) {
                a.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
            }
            vec.decodeF16(a, 0, da, 0, count);
            ref.decodeF16(a, 0, db, 0, count);
            assertBits(db, da, "f16 decode");
        }
    }

    /** Heap segments that do not wrap a byte[] cannot feed the Vector API; the codecs must fall back. */
    @Property(tries = 20)
    void nonByteHeapSegmentsFallBack(@ForAll @IntRange(min = 0, max = 100) int count) {
        short[] data = new short[count];
        for (int i = 0; i < count; i++) {
            data[i] = (short) (i * 977);
        }
        MemorySegment seg = MemorySegment.ofArray(data);
        float[] a = new float[count];
        float[] b = new float[count];
        Codecs.decode(DType.BF16, seg, 0, a, 0, count);
        Vectorization.scalarCodecs().decodeBf16(seg, 0, b, 0, count);
        assertBits(b, a, "decode");
        MemorySegment out = MemorySegment.ofArray(new short[count]);
        Codecs.encode(DType.F16, a, 0, count, out, 0);
        MemorySegment ref = MemorySegment.ofArray(new short[count]);
        Vectorization.scalarCodecs().encodeF16(a, 0, count, ref, 0);
        assertEquals(-1L, out.mismatch(ref));
    }

    static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(String.format("%s at %d: expected %08x got %08x", what, i,
                        Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i])));
            }
        }
    }
}
