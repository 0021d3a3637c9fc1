package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GgmlCodec#encodeRow} with importance weights against the quantizers of the libggml-base.so node-llama-cpp
 * 3.21.1 ships (what its llama-quantize runs with {@code --imatrix}), through scripts/imatrix-ref/weighted_quant_check.c:
 * every type MergeLab writes, many rows of many shapes (normal, one-signed, outliers, zero and constant blocks, tiny
 * and huge values) with realistic weights and awkward ones (zeros, one dominant column, all equal, tiny), byte for
 * byte. Also: without weights it is the reference encoder, and the weights change the result (so the test can fail).
 */
class WeightedQuantsTest {

    private static final Path TREE = Path.of(System.getenv().getOrDefault("LLAMA_CPP_DIR", "/tmp/infb/llama.cpp"));
    private static final Path BINS = Path.of(System.getenv().getOrDefault("NLC_BINS", "/tmp/infb/nlc/package/bins/linux-x64"));

    private static final List<GgmlType> TYPES = List.of(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.BF16);

    @TempDir
    Path tmp;

    record Case(GgmlType type, int rows, int n, float[] x, float[] qw) {
    }

    @Test
    void weightedEncodingIsTheShippedGgmls() throws Exception {
        assumeTrue(Files.isRegularFile(BINS.resolve("libggml-base.so")) && Files.isDirectory(TREE.resolve("ggml/include"))
                && Files.isExecutable(Path.of("/usr/bin/gcc")), "needs gcc, the llama.cpp tree and node-llama-cpp's prebuilt libraries"
                + " (scripts/fetch-llama-cpp.sh)");
        Path exe = tmp.resolve("weighted_quant_check");
        run(List.of("/usr/bin/gcc", "-O2", "-I" + TREE.resolve("ggml/include"), "scripts/imatrix-ref/weighted_quant_check.c",
                "-L" + BINS, "-lggml-base", "-Wl,-rpath," + BINS, "-o", exe.toString()));
        List<Case> cases = cases();
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        for (Case c : cases) {
            ByteBuffer b = ByteBuffer.allocate(12 + 4 * (c.x.length + c.qw.length)).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(c.type.id).putInt(c.rows).putInt(c.n);
            for (float v : c.x) {
                b.putFloat(v);
            }
            for (float v : c.qw) {
                b.putFloat(v);
            }
            in.writeBytes(b.array());
        }
        Files.write(tmp.resolve("in.bin"), in.toByteArray());
        run(List.of(exe.toString(), tmp.resolve("in.bin").toString(), tmp.resolve("out.bin").toString()));
        byte[] theirs = Files.readAllBytes(tmp.resolve("out.bin"));
        int at = 0;
        int differing = 0;
        List<String> first = new ArrayList<>();
        for (int k = 0; k < cases.size(); k++) {
            Case c = cases.get(k);
            int rowBytes = (int) c.type.rowBytes(c.n);
            byte[] ours = new byte[rowBytes * c.rows];
            for (int r = 0; r < c.rows; r++) {
                GgmlCodec.encodeRow(c.type, c.x, r * c.n, ours, r * rowBytes, c.n, c.qw, 0);
            }
            byte[] ggml = Arrays.copyOfRange(theirs, at, at + ours.length);
            at += ours.length;
            if (!Arrays.equals(ggml, ours)) {
                differing++;
                if (first.size() < 5) {
                    first.add("case " + k + " " + c.type + " " + c.rows + "x" + c.n + " first byte " + Arrays.mismatch(ggml, ours));
                }
            }
        }
        assertEquals(theirs.length, at, "bytes ggml wrote");
        assertEquals(0, differing, differing + " of " + cases.size() + " cases differ: " + first);
        System.out.printf("weighted quantizers: %d cases, %d bytes, all equal to ggml's%n", cases.size(), at);
    }

    @Test
    void withoutWeightsItIsTheReferenceEncoderAndWeightsMatter() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 512;
        float[] x = new float[n];
        float[] qw = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 0.05);
            qw[i] = (float) Math.exp(r.nextGaussian() * 1.5);
        }
        for (GgmlType t : TYPES) {
            int bytes = (int) t.rowBytes(n);
            byte[] ref = new byte[bytes], unweighted = new byte[bytes], weighted = new byte[bytes];
            GgmlCodec.encode(t, x, 0, ref, 0, n);
            GgmlCodec.encodeRow(t, x, 0, unweighted, 0, n, null, 0);
            GgmlCodec.encodeRow(t, x, 0, weighted, 0, n, qw, 0);
            assertTrue(Arrays.equals(ref, unweighted), t.toString());
            boolean ignores = t == GgmlType.Q8_0 || t == GgmlType.F16 || t == GgmlType.BF16;
            assertEquals(ignores, Arrays.equals(ref, weighted), t + (ignores ? " ignores" : " uses") + " the weights in ggml");
        }
    }

    private static List<Case> cases() {
        SplittableRandom r = new SplittableRandom(20261208);
        List<Case> out = new ArrayList<>();
        for (GgmlType t : TYPES) {
            boolean k = t.blockSize == 256;
            int[] widths = k ? new int[] {256, 512, 768} : new int[] {32, 64, 96, 256};
            for (int shape = 0; shape < 10; shape++) {
                for (int weights = 0; weights < 6; weights++) {
                    int n = widths[r.nextInt(widths.length)];
                    int rows = 1 + r.nextInt(3);
                    float[] x = new float[rows * n];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = value(shape, i, n, r);
                    }
                    out.add(new Case(t, rows, n, x, weights(weights, n, r)));
                }
            }
        }
        return out;
    }

    private static float value(int shape, int i, int n, SplittableRandom r) {
        double g = r.nextGaussian();
        return switch (shape) {
            case 0, 1 -> (float) (g * 0.02);                          // a typical weight matrix
            case 2 -> (float) Math.abs(g * 0.3);                       // one sign (the searches' min = 0 branch)
            case 3 -> (float) -Math.abs(g * 0.3);
            case 4 -> (float) (i % 97 == 5 ? g * 40 : g * 0.01);       // outliers
            case 5 -> (i / 32) % 3 == 0 ? 0f : (float) (g * 0.1);     // all-zero blocks
            case 6 -> (i / 16) % 2 == 0 ? 0.125f : (float) g;          // constant sub-blocks
            case 7 -> (float) (g * 1e-7);                              // tiny (fp16 subnormal scales)
            case 8 -> (float) (g * 3000);                              // large
            default -> Math.round(g * 4) / 2f;                         // ties
        };
    }

    /** Importance weights: mean squared activations as llama-imatrix writes them, and awkward ones. */
    private static float[] weights(int kind, int n, SplittableRandom r) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double e = Math.exp(r.nextGaussian() * 1.2) * 0.05;
            w[i] = (float) switch (kind) {
                case 0, 1 -> e;
                case 2 -> i % 7 == 0 ? 0 : e;          // dead columns
                case 3 -> i == n / 3 ? 1e4 : e;         // one dominant column
                case 4 -> 1;                            // uniform (no information)
                default -> e * 1e-30;                   // tiny
            };
        }
        return w;
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> cmd + "\n" + out);
    }
}
