package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GgmlCodec against ggml itself: the fixtures in src/test/resources/gguf/ were written by
 * scripts/gguf-ref/ (a C harness compiled against ggml-quants.c of llama.cpp from node-llama-cpp@3.21.1; the
 * commit is in SOURCE there). Every quantized byte and every dequantized float must be identical, bit for bit.
 */
class GgmlCodecReferenceTest {

    /** Quantizing ggml's inputs gives ggml's bytes, and dequantizing them gives ggml's floats. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void quantizeMatchesGgml(GgmlType type) throws IOException {
        ByteBuffer f = fixture(type, "quant");
        int n = f.getInt() * f.getInt();
        float[] x = floats(f, n);
        byte[] expected = bytes(f, (int) type.rowBytes(n));
        float[] expectedBack = floats(f, n);
        byte[] got = new byte[expected.length];
        GgmlCodec.encode(type, x, 0, got, 0, n);
        int perBlock = type.typeSize;
        for (int i = 0; i < expected.length; i++) {
            if (got[i] != expected[i]) {
                int block = i / perBlock;
                throw new AssertionError(type + ": byte " + i + " (block " + block + ", case " + block % 16 + ", byte "
                        + i % perBlock + ") is " + (got[i] & 0xFF) + ", ggml wrote " + (expected[i] & 0xFF));
            }
        }
        assertSameFloats(type, expectedBack, decode(type, expected, n));
    }

    /** Dequantizing random blocks gives ggml's floats. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizeMatchesGgml(GgmlType type) throws IOException {
        ByteBuffer f = fixture(type, "dequant");
        int n = f.getInt() * f.getInt();
        byte[] blocks = bytes(f, (int) type.rowBytes(n));
        float[] expected = floats(f, n);
        assertSameFloats(type, expected, decode(type, blocks, n));
    }

    private static float[] decode(GgmlType type, byte[] src, int n) {
        float[] out = new float[n];
        GgmlCodec.decode(type, src, 0, out, 0, n);
        return out;
    }

    private static void assertSameFloats(GgmlType type, float[] expected, float[] got) {
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToRawIntBits(expected[i]);
            int g = Float.floatToRawIntBits(got[i]);
            if (e != g) {
                throw new AssertionError(type + ": float " + i + " is " + got[i] + " (0x" + Integer.toHexString(g) + "), ggml gave "
                        + expected[i] + " (0x" + Integer.toHexString(e) + ")");
            }
        }
    }

    private static ByteBuffer fixture(GgmlType type, String kind) throws IOException {
        String name = "/gguf/" + type.ggmlName() + "." + kind + ".bin";
        try (InputStream in = GgmlCodecReferenceTest.class.getResourceAsStream(name)) {
            assertTrue(in != null, "missing fixture " + name + " (scripts/gguf-ref/build.sh writes it)");
            ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            return b;
        }
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] out = new float[n];
        b.asFloatBuffer().get(out);
        b.position(b.position() + 4 * n);
        return out;
    }

    private static byte[] bytes(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(out);
        assertEquals(n, out.length);
        return out;
    }
}
