package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.format.gguf.GgufFile;
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
        // the importance weights were used: without them the bytes differ (ggml ignores them for F16, BF16 and Q8_0)
        Path plain = tmp.resolve("plain.gguf");
        GgufExport.export(model, plain, type, 2, n -> { });
        boolean ignored = type == ExportType.F16 || type == ExportType.BF16 || type == ExportType.Q8_0;
        assertEquals(ignored, tensorBytesEqual(plain, ours), name);
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
