package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.export.ExportType;
import dev.mergelab.export.GgufExport;
import dev.mergelab.export.TinyExportModels;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.ImatrixFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --imatrix FILE} on {@code export gguf} and on {@code merge RECIPE OUT.gguf --type T}: merging straight to GGUF with
 * an imatrix equals merging to a folder then exporting it with the same imatrix, byte for byte; the file's
 * {@code quantize.imatrix.*} keys are written as llama-quantize writes them; misuse and bad files are one line, exit 2,
 * no output. (Agreement with llama-quantize itself: export.GgufImatrixTest.)
 */
class ImatrixCommandTest {

    @TempDir
    Path tmp;

    private Path imatrix;
    private Path legacy;
    private Path recipe;

    @BeforeEach
    void parents() throws Exception {
        TinyExportModels.write(tmp.resolve("a"), TinyExportModels.llama(), 3);
        TinyExportModels.write(tmp.resolve("b"), TinyExportModels.llama(), 4);
        Path f32 = tmp.resolve("a.gguf");
        GgufExport.export(tmp.resolve("a"), f32, ExportType.F32, 2, w -> { });
        var entries = ImatrixFiles.realistic(ImatrixFiles.shapesOf(f32), 11);
        imatrix = ImatrixFiles.gguf(tmp.resolve("imatrix.gguf"), entries, null);
        legacy = ImatrixFiles.legacy(tmp.resolve("imatrix.dat"), entries, 6, 6, "calibration.txt");
        recipe = Files.writeString(tmp.resolve("linear.yml"), """
                merge_method: linear
                models:
                  - model: DIR/a
                    parameters: {weight: 0.6}
                  - model: DIR/b
                    parameters: {weight: 0.4}
                dtype: bfloat16
                """.replace("DIR", tmp.toString()));
    }

    @Test
    void mergeToGgufWithAnImatrixEqualsMergeThenExportWithIt() throws Exception {
        for (Path im : new Path[] {imatrix, legacy}) {
            Path direct = Files.createDirectories(tmp.resolve("direct-" + im.getFileName())).resolve("child.gguf");
            Run r = cli("merge", recipe.toString(), direct.toString(), "--type", "q4_k_m", "--imatrix", im.toString(), "--threads", "2");
            assertEquals(0, r.code(), r.err());
            Path folder = tmp.resolve("two-" + im.getFileName()).resolve("child");
            assertEquals(0, cli("merge", recipe.toString(), folder.toString(), "--threads", "2").code());
            Path ref = folder.resolveSibling("ref.gguf");
            Run e = cli("export", "gguf", folder.toString(), ref.toString(), "--type", "q4_k_m", "--imatrix", im.toString());
            assertEquals(0, e.code(), e.err());
            assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(direct), im.getFileName().toString());

            Path plain = folder.resolveSibling("plain.gguf");
            assertEquals(0, cli("export", "gguf", folder.toString(), plain.toString(), "--type", "q4_k_m").code());
            assertNotEquals(Files.size(plain), Files.size(direct), "the imatrix keys are in the file");
            try (GgufFile g = GgufFile.open(direct)) {
                Map<String, GgufValue> m = g.header().metadata();
                assertEquals(im.toString(), m.get("quantize.imatrix.file").asString());
                assertEquals("calibration.txt", m.get("quantize.imatrix.dataset").asString());
                assertEquals(ImatrixFiles.shapesOf(tmp.resolve("a.gguf")).size(), m.get("quantize.imatrix.entries_count").asLong());
                assertEquals(im == legacy ? 6 : 8, m.get("quantize.imatrix.chunks_count").asLong());
                var keys = java.util.List.copyOf(m.keySet());
                assertEquals("quantize.imatrix.chunks_count", keys.getLast(), "appended last, as llama-quantize does");
            }
        }
    }

    @Test
    void misuseAndBadFilesAreOneLineExitTwoAndWriteNothing() throws Exception {
        Path out = tmp.resolve("out.gguf");
        assertOneLine(cli("export", "gguf", tmp.resolve("a").toString(), out.toString(), "--type", "f32", "--imatrix", imatrix.toString()),
                "f32 is the converter's output");
        assertOneLine(cli("merge", recipe.toString(), tmp.resolve("folder").toString(), "--imatrix", imatrix.toString()),
                "--imatrix is for a GGUF output");
        assertOneLine(cli("merge", recipe.toString(), out.toString(), "--type", "f32", "--imatrix", imatrix.toString()),
                "f32 is the converter's output");
        assertOneLine(cli("export", "gguf", tmp.resolve("a").toString(), out.toString(), "--type", "q4_0", "--imatrix",
                tmp.resolve("missing.gguf").toString()), "missing.gguf");
        Path garbage = Files.writeString(tmp.resolve("garbage.dat"), "\u0001\u0000\u0000\u0000\u00ff\u00ff\u00ff\u007fname");
        assertOneLine(cli("merge", recipe.toString(), out.toString(), "--type", "q4_0", "--imatrix", garbage.toString()), "garbage.dat");
        Path other = ImatrixFiles.gguf(tmp.resolve("other-model.gguf"),
                ImatrixFiles.realistic(Map.of("blk.0.attn_q.weight", new int[] {4096, 1}), 1), null);
        assertOneLine(cli("export", "gguf", tmp.resolve("a").toString(), out.toString(), "--type", "q5_k_m", "--imatrix", other.toString()),
                "blk.0.attn_q.weight");
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(tmp.resolve("folder")));
    }

    private static void assertOneLine(Run r, String needle) {
        assertEquals(2, r.code(), r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.contains(needle), err);
    }
}
