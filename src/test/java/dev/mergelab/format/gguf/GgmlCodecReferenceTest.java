package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
        checkQuantize(type, fixture(type, "quant"));
    }

    /** Dequantizing random blocks gives ggml's floats. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizeMatchesGgml(GgmlType type) throws IOException {
        checkDequantize(type, fixture(type, "dequant"));
    }

    /**
     * Thirty times the committed cases with other random inputs, generated now by the harness from ggml's
     * sources (scripts/gguf-ref/build.sh with SEED), when gcc and the llama.cpp tree (LLAMA_CPP_DIR, default
     * /tmp/infb/llama.cpp) are present.
     */
    @Test
    void freshInputsFromGgmlMatchToo(@TempDir Path tmp) throws Exception {
        Path llama = Path.of(System.getenv().getOrDefault("LLAMA_CPP_DIR", "/tmp/infb/llama.cpp"));
        assumeTrue(Files.isRegularFile(llama.resolve("ggml/src/ggml-quants.c")) && Files.isExecutable(Path.of("/usr/bin/gcc")),
                "needs gcc and the llama.cpp tree");
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/gguf-ref/build.sh", llama.toString(), tmp.toString())
                .redirectErrorStream(true);
        pb.environment().put("SEED", "20261207");
        pb.environment().put("BLOCKS_LEGACY", "2880");
        pb.environment().put("BLOCKS_K", "960");
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), log);
        assertEquals(0, p.exitValue(), log);
        for (GgmlType type : List.of(GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
                GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)) {
            checkQuantize(type, read(tmp.resolve(type.ggmlName() + ".quant.bin")));
            checkDequantize(type, read(tmp.resolve(type.ggmlName() + ".dequant.bin")));
        }
    }

    private static ByteBuffer read(Path p) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void checkQuantize(GgmlType type, ByteBuffer f) {
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

    private static void checkDequantize(GgmlType type, ByteBuffer f) {
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
