package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.ImatrixFiles;
import dev.mergelab.format.gguf.GgufValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code export gguf --imatrix FILE} is, byte for byte, what llama.cpp's own llama-quantize makes of the F32 export with
 * the same file, for imatrix files written by llama.cpp's own llama-imatrix running the F32 export on a text (both tools
 * compiled from the llama.cpp tree against node-llama-cpp 3.21.1's prebuilt libraries: {@link ImatrixPeer}). Every
 * type, the GGUF and legacy .dat formats, MoE experts (one imatrix row each), fallback types on rows of 64, tied heads.
 */
class GgufImatrixTest {

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    private static Path quantize;
    private static Path imatrix;
    private static final Map<String, Path[]> MODELS = new HashMap<>();

    @BeforeAll
    static void compile() throws Exception {
        if (ImatrixPeer.available()) {
            quantize = ImatrixPeer.quantize(shared.resolve("llama-quantize"));
            imatrix = ImatrixPeer.imatrix(shared.resolve("llama-imatrix"));
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        TinyExportModels.Spec wide = TinyExportModels.llama().sized(256, 512, 8);
        for (ExportType t : ExportType.values()) {
            if (t != ExportType.F32) {
                out.add(Arguments.of("llama-256x8 " + t, wide, t, "gguf"));
            }
        }
        for (ExportType t : List.of(ExportType.Q4_K_M, ExportType.Q4_0, ExportType.Q5_1)) {
            out.add(Arguments.of("llama-256x8 " + t + " (legacy .dat)", wide, t, "dat"));
        }
        for (ExportType t : List.of(ExportType.Q4_K_M, ExportType.Q5_0)) {
            out.add(Arguments.of("llama-64x2 " + t, TinyExportModels.llama(), t, "gguf"));
        }
        for (ExportType t : List.of(ExportType.Q4_K_S, ExportType.Q6_K, ExportType.Q4_1)) {
            out.add(Arguments.of("mixtral-256x2 " + t, TinyExportModels.mixtral().sized(256, 256, 2), t, "gguf"));
        }
        out.add(Arguments.of("gemma-256x4-tied Q4_K_M", TinyExportModels.gemma().sized(256, 512, 4), ExportType.Q4_K_M, "gguf"));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void quantizedWithAnImatrixIsLlamaQuantizeWithIt(String name, TinyExportModels.Spec spec, ExportType type, String format) throws Exception {
        assumeTrue(ImatrixPeer.available(), ImatrixPeer.missing());
        Path[] m = model(spec, format);
        Path model = m[0], f32 = m[1], imat = m[2];
        Path theirs = tmp.resolve("llama-quantize.gguf");
        ImatrixPeer.ok(List.of(quantize.toString(), "--imatrix", imat.toString(), f32.toString(), theirs.toString(), String.valueOf(type.ftype), "2"));
        Path ours = tmp.resolve("ours.gguf");
        List<String> warnings = new ArrayList<>();
        GgufExport.export(model, ours, type, GgufImatrix.read(imat.toString()), 2, warnings::add);
        byte[] a = Files.readAllBytes(theirs), c = Files.readAllBytes(ours);
        if (!Arrays.equals(a, c)) {
            assertArrayEquals(a, c, name + ": first difference at byte " + Arrays.mismatch(a, c) + " of " + a.length + "/" + c.length);
        }
        try (GgufFile g = GgufFile.open(ours)) {
            Map<String, GgufValue> meta = g.header().metadata();
            assertEquals(imat.toString(), meta.get("quantize.imatrix.file").asString());
            assertTrue(meta.get("quantize.imatrix.entries_count").asLong() > 0);
        }
        if (!name.startsWith("llama-256x8") || !format.equals("gguf")) {
            return;
        }
        // the importance weights were used: llama-quantize without them writes other tensor bytes (ggml ignores them for
        // F16, BF16 and Q8_0)
        Path plain = tmp.resolve("plain.gguf");
        ImatrixPeer.ok(List.of(quantize.toString(), f32.toString(), plain.toString(), String.valueOf(type.ftype), "2"));
        boolean ignored = type == ExportType.F16 || type == ExportType.BF16 || type == ExportType.Q8_0;
        assertEquals(ignored, tensorBytesEqual(plain, ours), name);
    }

    /** Imatrix files llama-imatrix seldom or never writes but llama-quantize reads: each must give llama-quantize's bytes. */
    static Stream<Arguments> edgeFiles() {
        return Stream.of(Arguments.of("zero, rounded and fractional counts; missing entries; no dataset; no chunk count; stray tensors", "gguf-edges",
                        ExportType.Q4_K_M),
                Arguments.of("the same at Q5_1", "gguf-edges", ExportType.Q5_1),
                Arguments.of("MoE with an expert that saw no token", "moe-zero-expert", ExportType.Q4_K_S),
                Arguments.of("legacy: ncall 0, repeated name, NUL in a name, partial trailer", "legacy-edges", ExportType.Q6_K),
                Arguments.of("legacy without trailer", "legacy-bare", ExportType.Q4_0),
                Arguments.of("token_embd entry of the wrong size (ignored, as llama.cpp does)", "token-embd-wrong-size", ExportType.Q5_K_M),
                Arguments.of("file name and dataset longer than 127 bytes (clipped, as llama-quantize does)", "long-names", ExportType.Q8_0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edgeFiles")
    void edgeImatrixFilesAgreeWithLlamaQuantize(String name, String kind, ExportType type) throws Exception {
        assumeTrue(ImatrixPeer.available(), ImatrixPeer.missing());
        boolean moe = kind.startsWith("moe");
        Path[] m = model(moe ? TinyExportModels.mixtral().sized(256, 256, 2) : TinyExportModels.llama().sized(256, 512, 8), "gguf");
        Path imat = edgeFile(kind, m[1]);
        Path theirs = tmp.resolve("llama-quantize.gguf");
        ImatrixPeer.ok(List.of(quantize.toString(), "--imatrix", imat.toString(), m[1].toString(), theirs.toString(), String.valueOf(type.ftype)));
        Path ours = tmp.resolve("ours.gguf");
        GgufExport.export(m[0], ours, type, GgufImatrix.read(imat.toString()), 2, n -> { });
        byte[] a = Files.readAllBytes(theirs), c = Files.readAllBytes(ours);
        if (!Arrays.equals(a, c)) {
            assertArrayEquals(a, c, name + ": first difference at byte " + Arrays.mismatch(a, c) + " of " + a.length + "/" + c.length);
        }
    }

    /**
     * Files llama-quantize refuses: MergeLab refuses them too (one line, exit 2 in the CLI) and writes nothing. The loader's
     * own reasons go through libllama-common's asynchronous log, which a quick exit can lose, so for those only quantize's
     * "failed to load imatrix" line is certain.
     */
    static Stream<Arguments> refusedFiles() {
        return Stream.of(Arguments.of("an entry of the wrong size", "wrong-size", "imatrix size 128 is different from tensor size 256"),
                Arguments.of("a non-finite weight", "non-finite", "non-finite value"),
                Arguments.of("no imatrix.chunk_size key", "no-metadata", "missing imatrix metadata"),
                Arguments.of("counts without in_sum2", "unpaired", "failed to load imatrix"),
                Arguments.of("F16 sums", "f16-sums", "failed to load imatrix"), Arguments.of("no tensors", "no-tensors", "failed to load imatrix"),
                Arguments.of("legacy: no entries", "legacy-empty", "failed to load imatrix"),
                Arguments.of("legacy: truncated values", "legacy-truncated", "failed to load imatrix"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedFiles")
    void filesLlamaQuantizeRefusesAreRefused(String name, String kind, String llamaSays) throws Exception {
        assumeTrue(ImatrixPeer.available(), ImatrixPeer.missing());
        Path[] m = model(TinyExportModels.llama().sized(256, 512, 8), "gguf");
        Path imat = edgeFile(kind, m[1]);
        ImatrixPeer.Result r = ImatrixPeer.run(List.of(quantize.toString(), "--imatrix", imat.toString(), m[1].toString(),
                tmp.resolve("theirs.gguf").toString(), String.valueOf(ExportType.Q4_K_M.ftype)));
        assertTrue(r.exit() != 0 && r.output().contains(llamaSays), name + ": llama-quantize did not refuse it for that reason\n" + r.output());
        Path ours = tmp.resolve("ours.gguf");
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.mergelab.MergeLabException.class,
                () -> GgufExport.export(m[0], ours, ExportType.Q4_K_M, GgufImatrix.read(imat.toString()), 2, n -> { }));
        assertEquals(dev.mergelab.MergeLabException.Kind.INPUT, e.kind());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(Files.exists(ours));
    }

    private Path edgeFile(String kind, Path f32) throws Exception {
        Map<String, int[]> shapes = ImatrixFiles.shapesOf(f32);
        List<ImatrixFiles.Entry> entries = new ArrayList<>(ImatrixFiles.realistic(shapes, kind.hashCode()));
        Path out = tmp.resolve((kind.equals("long-names") ? "n".repeat(140) : kind) + (kind.startsWith("legacy") ? ".dat" : ".gguf"));
        Map<String, GgufValue> meta = new java.util.LinkedHashMap<>();
        meta.put("general.type", GgufValue.ofString("imatrix"));
        meta.put("imatrix.datasets", GgufValue.ofArray(dev.mergelab.format.gguf.GgufArray.ofStrings("wiki.train.raw", "second")));
        meta.put("imatrix.chunk_count", GgufValue.ofU32(16));
        meta.put("imatrix.chunk_size", GgufValue.ofU32(512));
        switch (kind) {
            case "gguf-edges" -> {
                entries.removeIf(e -> e.name().contains("blk.3.") || e.name().equals("blk.0.attn_q.weight"));
                entries.replaceAll(e -> switch (e.name()) {
                    case "blk.1.attn_k.weight" -> new ImatrixFiles.Entry(e.name(), e.ne0(), e.sums(), new float[] {0});
                    case "blk.1.attn_v.weight" -> new ImatrixFiles.Entry(e.name(), e.ne0(), e.sums(), new float[] {0.4f});
                    case "blk.2.attn_v.weight" -> new ImatrixFiles.Entry(e.name(), e.ne0(), e.sums(), new float[] {2.5f});
                    case "blk.4.ffn_up.weight" -> new ImatrixFiles.Entry(e.name(), e.ne0(), e.sums(), new float[] {-7});
                    default -> e;
                });
                entries.add(new ImatrixFiles.Entry("zz.not.a.weight", 4, new float[] {1, 2, 3, 4}, new float[] {1}));
                meta.put("imatrix.datasets", GgufValue.ofArray(dev.mergelab.format.gguf.GgufArray.ofStrings()));
                meta.put("imatrix.chunk_count", GgufValue.ofU32(0));
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "moe-zero-expert" -> {
                entries.replaceAll(e -> e.counts().length > 1 ? new ImatrixFiles.Entry(e.name(), e.ne0(), e.sums(), zeroSecond(e.counts())) : e);
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "legacy-edges" -> {
                byte[] body = ImatrixFiles.legacy(entries, 5, 0, null);
                var extra = new java.io.ByteArrayOutputStream();
                extra.writeBytes(body);
                // a repeated name (replaces the first) and a name with a NUL (cut there: blk.0.ffn_up.weight)
                for (String n : List.of("blk.0.ffn_down.weight", "blk.0.ffn_up.weight\0junk")) {
                    byte[] nb = n.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    int ne0 = shapes.get(n.replaceAll("\0.*", ""))[0];
                    var b = java.nio.ByteBuffer.allocate(12 + nb.length + 4 * ne0).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    b.putInt(nb.length).put(nb).putInt(n.contains("up") ? 0 : 3).putInt(ne0);
                    for (int i = 0; i < ne0; i++) {
                        b.putFloat(0.5f + (i % 13) * 0.25f);
                    }
                    extra.writeBytes(b.array());
                }
                extra.writeBytes(new byte[] {7, 0}); // a partial chunk count: llama.cpp reads 7
                byte[] all = extra.toByteArray();
                java.nio.ByteBuffer.wrap(all).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, entries.size() + 2);
                Files.write(out, all);
            }
            case "legacy-bare" -> ImatrixFiles.legacy(out, entries, 12, 0, null);
            case "long-names" -> {
                meta.put("imatrix.datasets", GgufValue.ofArray(dev.mergelab.format.gguf.GgufArray.ofStrings("d".repeat(200) + ".txt")));
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "token-embd-wrong-size" -> {
                entries.add(new ImatrixFiles.Entry("token_embd.weight", 100, new float[100], new float[] {3}));
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "wrong-size" -> {
                entries.replaceAll(e -> e.name().equals("blk.2.ffn_gate.weight") ? new ImatrixFiles.Entry(e.name(), 128,
                        Arrays.copyOf(e.sums(), 128), e.counts()) : e);
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "non-finite" -> {
                entries.get(3).sums()[17] = Float.POSITIVE_INFINITY;
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "no-metadata" -> {
                meta.remove("imatrix.chunk_size");
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "unpaired" -> {
                ImatrixFiles.Entry e = entries.get(2);
                entries.set(2, new ImatrixFiles.Entry(e.name(), e.ne0(), null, e.counts()));
                ImatrixFiles.gguf(out, entries, meta);
            }
            case "f16-sums" -> ImatrixFiles.gguf(out, entries, meta, GgmlType.F16);
            case "no-tensors" -> ImatrixFiles.gguf(out, List.of(), meta);
            case "legacy-empty" -> Files.write(out, new byte[] {0, 0, 0, 0});
            case "legacy-truncated" -> {
                byte[] all = ImatrixFiles.legacy(entries, 5, 4, "x");
                Files.write(out, Arrays.copyOf(all, 200));
            }
            default -> throw new IllegalArgumentException(kind);
        }
        return out;
    }

    private static float[] zeroSecond(float[] counts) {
        float[] c = counts.clone();
        c[1] = 0;
        return c;
    }

    /** The model folder, its F32 export and llama-imatrix's file for it, made once per model and format. */
    private static synchronized Path[] model(TinyExportModels.Spec spec, String format) throws Exception {
        String key = spec + format;
        Path[] have = MODELS.get(key);
        if (have != null) {
            return have;
        }
        Path dir = shared.resolve("m" + MODELS.size());
        Path model = TinyExportModels.write(dir.resolve("hf"), spec, 31);
        Path f32 = dir.resolve("f32.gguf");
        GgufExport.export(model, f32, ExportType.F32, 2, n -> { });
        Path text = dir.resolve("calibration.txt");
        Files.writeString(text, text(4000));
        Path out = dir.resolve(format.equals("dat") ? "imatrix.dat" : "imatrix.gguf");
        List<String> cmd = new ArrayList<>(List.of(imatrix.toString(), "-m", f32.toString(), "-f", text.toString(), "-o", out.toString(),
                "-c", "64", "-b", "64", "--chunks", "8", "-t", "2", "--process-output", "--no-ppl", "--output-format", format));
        ImatrixPeer.ok(cmd);
        Path[] made = {model, f32, out};
        MODELS.put(key, made);
        return made;
    }

    /** Calibration text: words of several languages and digits, deterministic. */
    static String text(int words) {
        String[] w = ("the of and a to in is you that it he was for on are as with his they I at be this have from or one had by word "
                + "but not what all were we when your can said there use an each which she do how their if will up other about out many "
                + "merge model weight layer token quantize 1 23 456 7890 café naïve Straße 日本 数据 — , . ! ?").split(" ");
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words; i++) {
            b.append(w[r.nextInt(w.length)]).append(i % 17 == 16 ? "\n" : " ");
        }
        return b.toString();
    }

    /** Whether the tensor data of two GGUF files with the same tensors is identical. */
    static boolean tensorBytesEqual(Path a, Path b) throws Exception {
        try (GgufFile x = GgufFile.open(a); GgufFile y = GgufFile.open(b)) {
            assertEquals(x.tensors().size(), y.tensors().size());
            for (var t : x.tensors()) {
                var u = y.tensor(t.name());
                assertFalse(u == null, t.name());
                if (x.bytes(t).mismatch(y.bytes(u)) != -1) {
                    return false;
                }
            }
            return true;
        }
    }
}
