package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code export gguf IN.gguf OUT.gguf --type T}: a GGUF file quantized again as llama_model_quantize does it. Byte for
 * byte what llama_model_quantize makes of the same F32 or BF16 file (scripts/gguf-ref/quantize_check.c, when llama.cpp's
 * libraries are here), and, without llama.cpp, what export makes of the model folder directly (itself proven equal to
 * llama_model_quantize of the F32 export by GgufLlamaCppTest). Quantized input is refused in one line.
 */
class GgufImportRequantizeTest {

    private static Path quantizeCheck;

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    @BeforeAll
    static void compile() throws Exception {
        if (LlamaCppPeer.haveLibraries()) {
            quantizeCheck = LlamaCppPeer.compile("quantize_check.c", shared.resolve("quantize_check"));
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of("llama", TinyExportModels.llama().sized(256, 256, 1), ExportType.Q4_K_M),
                Arguments.of("qwen2moe", TinyExportModels.qwen2Moe(), ExportType.Q8_0),
                Arguments.of("gemma2", TinyExportModels.gemma2(), ExportType.Q5_1));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void requantizingTheF32ExportIsTheDirectExport(String name, TinyExportModels.Spec spec, ExportType type) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve(name), spec, 17);
        Path f32 = tmp.resolve("f32.gguf"), direct = tmp.resolve("direct.gguf"), again = tmp.resolve("again.gguf");
        GgufExport.export(model, f32, ExportType.F32, 2, w -> { });
        GgufExport.export(model, direct, type, 2, w -> { });
        GgufImportCommandsTest.ok(GgufImportCommandsTest.cli("export", "gguf", f32.toString(), again.toString(), "--type",
                type.name().toLowerCase(java.util.Locale.ROOT)));
        sameBytes(name, direct, again);
    }

    static Stream<Arguments> peerCases() {
        return Stream.of(Arguments.of("llama-f32", TinyExportModels.llama().sized(256, 256, 1), ExportType.F32, ExportType.Q4_K_M),
                Arguments.of("llama-bf16", TinyExportModels.llama().sized(256, 256, 1), ExportType.BF16, ExportType.Q4_K_M),
                Arguments.of("qwen2moe-bf16", TinyExportModels.qwen2Moe(), ExportType.BF16, ExportType.Q8_0),
                Arguments.of("gemma3-f16", GgufImportArchitecturesTest.gemma3(), ExportType.F16, ExportType.Q6_K));
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("peerCases")
    void requantizingIsLlamaModelQuantize(String name, TinyExportModels.Spec spec, ExportType from, ExportType type) throws Exception {
        assumeTrue(LlamaCppPeer.haveLibraries(), LlamaCppPeer.missingLibraries());
        Path model = TinyExportModels.write(tmp.resolve(name), spec, 23);
        Path input = tmp.resolve("in.gguf"), theirs = tmp.resolve("theirs.gguf"), ours = tmp.resolve("ours.gguf");
        GgufExport.export(model, input, from, 2, w -> { });
        LlamaCppPeer.run(List.of(quantizeCheck.toString(), input.toString(), theirs.toString(), String.valueOf(type.ftype)));
        GgufRequantize.requantize(input, ours, type);
        sameBytes(name, theirs, ours);
    }

    @Test
    void quantizedInputIsRefusedInOneLine() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("llama"), TinyExportModels.llama(), 3);
        Path q8 = tmp.resolve("q8.gguf"), out = tmp.resolve("out.gguf");
        GgufExport.export(model, q8, ExportType.Q8_0, 2, w -> { });
        GgufImportCommandsTest.Run r = GgufImportCommandsTest.cli("export", "gguf", q8.toString(), out.toString(), "--type", "q4_0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("already Q8_0") && r.err().contains("--allow-requantize"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out));
    }

    private static void sameBytes(String name, Path expected, Path actual) throws Exception {
        byte[] a = Files.readAllBytes(expected), c = Files.readAllBytes(actual);
        if (!Arrays.equals(a, c)) {
            int i = Arrays.mismatch(a, c);
            assertArrayEquals(a, c, name + ": first difference at byte " + i + " of " + a.length + "/" + c.length);
        }
    }
}
