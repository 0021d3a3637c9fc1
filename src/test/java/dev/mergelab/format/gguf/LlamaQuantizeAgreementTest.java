package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.format.TensorInfo;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp's own quantization of a MergeLab-written file: a tiny Llama in F32, written by GgufWriter, is
 * quantized by llama_model_quantize() from node-llama-cpp@3.21.1's prebuilt libllama (what
 * {@code llama-quantize IN OUT TYPE} runs; scripts/gguf-ref/quantize_check.c) to every preset, and every
 * tensor of every output equals GgmlCodec's encoding of the F32 data in the type llama.cpp chose, byte for
 * byte. (The per-tensor type choice of the presets is read from llama.cpp's output here; reproducing it is
 * the export's job.) Needs gcc, the llama.cpp tree and the prebuilt libraries; skipped without them.
 */
class LlamaQuantizeAgreementTest {

    /** llama_ftype numbers (llama.h) of the presets checked. */
    private static final Map<String, Integer> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("F16", 1);
        PRESETS.put("BF16", 32);
        PRESETS.put("Q8_0", 7);
        PRESETS.put("Q4_0", 2);
        PRESETS.put("Q4_1", 3);
        PRESETS.put("Q5_0", 8);
        PRESETS.put("Q5_1", 9);
        PRESETS.put("Q2_K", 10);
        PRESETS.put("Q3_K_S", 11);
        PRESETS.put("Q3_K_M", 12);
        PRESETS.put("Q4_K_S", 14);
        PRESETS.put("Q4_K_M", 15);
        PRESETS.put("Q5_K_S", 16);
        PRESETS.put("Q5_K_M", 17);
        PRESETS.put("Q6_K", 18);
    }

    @TempDir
    Path tmp;

    @Test
    void everyTensorOfEveryPresetIsWhatGgmlCodecWrites() throws Exception {
        Path llama = Path.of(System.getenv().getOrDefault("LLAMA_CPP_DIR", "/tmp/infb/llama.cpp"));
        Path bins = Path.of(System.getenv().getOrDefault("NLC_BINS", "/tmp/infb/nlc/package/bins/linux-x64"));
        assumeTrue(Files.isRegularFile(bins.resolve("libllama.v0.4.0.so")) && Files.isDirectory(llama.resolve("include"))
                && Files.isExecutable(Path.of("/usr/bin/gcc")), "needs gcc, the llama.cpp tree and node-llama-cpp's prebuilt libraries");
        Path exe = tmp.resolve("quantize_check");
        run(List.of("/usr/bin/gcc", "-O2", "-I" + llama.resolve("include"), "-I" + llama.resolve("ggml/include"),
                Path.of("scripts/gguf-ref/quantize_check.c").toString(), "-L" + bins, "-l:libllama.v0.4.0.so", "-l:libggml.v0.4.0.so",
                "-lggml-base", "-Wl,-rpath," + bins, "-o", exe.toString()));

        Map<String, float[]> weights = new LinkedHashMap<>();
        Path f32 = tinyLlama(tmp.resolve("tiny-f32.gguf"), weights);
        Map<String, String> seen = new TreeMap<>();
        for (Map.Entry<String, Integer> preset : PRESETS.entrySet()) {
            Path out = tmp.resolve("tiny-" + preset.getKey() + ".gguf");
            run(List.of(exe.toString(), f32.toString(), out.toString(), String.valueOf(preset.getValue())));
            List<String> types = new ArrayList<>();
            try (GgufFile q = GgufFile.open(out)) {
                assertEquals(weights.keySet(), new java.util.HashSet<>(q.tensors().stream().map(TensorInfo::name).toList()));
                for (TensorInfo t : q.tensors()) {
                    GgmlType type = q.ggufTensor(t.name()).type();
                    float[] x = weights.get(t.name());
                    byte[] ours = new byte[(int) type.rowBytes(x.length)];
                    GgmlCodec.encode(type, x, 0, ours, 0, x.length);
                    byte[] theirs = q.bytes(t).toArray(ValueLayout.JAVA_BYTE);
                    assertTrue(Arrays.equals(ours, theirs), preset.getKey() + ": " + t.name() + " as " + type
                            + " differs from llama.cpp's bytes");
                    types.add(type.name());
                }
            }
            seen.put(preset.getKey(), String.join(",", new java.util.TreeSet<>(types)));
        }
        // the presets really covered every codec
        String all = String.join(",", seen.values());
        for (GgmlType t : GgmlType.values()) {
            if (t.encodable()) {
                assertTrue(all.contains(t.name()), t + " never chosen: " + seen);
            }
        }
    }

    /** A one-layer Llama (n_embd 256, n_ff 512, vocab 300) in F32 with normal weights, written by GgufWriter. */
    private static Path tinyLlama(Path p, Map<String, float[]> weights) throws Exception {
        int e = 256, ff = 512, vocab = 300;
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.ofString("llama"));
        meta.put("llama.context_length", GgufValue.ofU32(128));
        meta.put("llama.embedding_length", GgufValue.ofU32(e));
        meta.put("llama.block_count", GgufValue.ofU32(1));
        meta.put("llama.feed_forward_length", GgufValue.ofU32(ff));
        meta.put("llama.attention.head_count", GgufValue.ofU32(4));
        meta.put("llama.attention.head_count_kv", GgufValue.ofU32(4));
        meta.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofF32(1e-5f));
        meta.put("llama.rope.dimension_count", GgufValue.ofU32(e / 4));
        meta.put("general.file_type", GgufValue.ofU32(0));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("token_embd.weight", new long[] {vocab, e});
        shapes.put("output_norm.weight", new long[] {e});
        shapes.put("output.weight", new long[] {vocab, e});
        for (String n : List.of("attn_q", "attn_k", "attn_v", "attn_output")) {
            shapes.put("blk.0." + n + ".weight", new long[] {e, e});
        }
        shapes.put("blk.0.attn_norm.weight", new long[] {e});
        shapes.put("blk.0.ffn_norm.weight", new long[] {e});
        shapes.put("blk.0.ffn_gate.weight", new long[] {ff, e});
        shapes.put("blk.0.ffn_up.weight", new long[] {ff, e});
        shapes.put("blk.0.ffn_down.weight", new long[] {e, ff});
        SplittableRandom rnd = new SplittableRandom(5);
        List<GgufWriter.Entry> entries = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        shapes.forEach((name, shape) -> {
            int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            weights.put(name, x);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(x);
            entries.add(GgufWriter.Entry.ofShape(name, GgmlType.F32, shape));
            data.add(b.array());
        });
        GgufWriter.write(p, meta, entries, data);
        return p;
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> cmd + "\n" + out.substring(Math.max(0, out.length() - 3000)));
        return out;
    }
}
