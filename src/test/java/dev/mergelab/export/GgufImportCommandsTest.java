package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.Main;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.model.ModelSource;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF files through the real commands: {@code export safetensors} gives the source folder's tensors back; a merge
 * with a GGUF parent (F32 or quantized, the file or a folder holding it) writes the bytes the same merge writes from
 * the equivalent safetensors folder; {@code logits --ids} on a GGUF file gives the source folder's logits; and
 * {@code merge RECIPE OUT.gguf} refuses to overwrite a parent.
 */
class GgufImportCommandsTest {

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }

    static void ok(Run r) {
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void exportSafetensorsGivesTheSourceTensorsAndAConfigTheForwardPassReads() throws Exception {
        for (var c : List.of(new Object[] {"mixtral", TinyExportModels.mixtral()}, new Object[] {"gemma", TinyExportModels.gemma()})) {
            Path model = TinyExportModels.write(tmp.resolve((String) c[0]), (TinyExportModels.Spec) c[1], 8);
            Path gguf = tmp.resolve(c[0] + ".gguf");
            GgufExport.export(model, gguf, ExportType.F32, 2, w -> { });
            Path bf16 = tmp.resolve(c[0] + "-bf16");
            ok(cli("export", "safetensors", gguf.toString(), bf16.toString(), "--dtype", "bfloat16"));
            Path f32 = tmp.resolve(c[0] + "-f32");
            Run r = cli("export", "safetensors", gguf.toString(), f32.toString());
            ok(r);
            assertTrue(r.out().contains("float32"), r.out());
            try (ModelSource src = ModelSource.open(model, "src"); ModelSource a = ModelSource.open(bf16, "bf16");
                    ModelSource b = ModelSource.open(f32, "f32")) {
                GgufImportSupport.sameTensors(src, a);
                GgufImportSupport.sameTensors(src, b);
                a.tensors().values().forEach(t -> assertEquals(dev.mergelab.tensor.DType.BF16, t.dtype(), t.name()));
                assertEquals("bfloat16", a.config().raw().get("torch_dtype").asText());
                assertEquals("float32", b.config().raw().get("torch_dtype").asText());
                GgufImportSupport.closeLogits(GgufImportSupport.logits(src), GgufImportSupport.logits(a));
            }
            assertTrue(Files.isRegularFile(f32.resolve("generation_config.json")));
            assertTrue(Files.isRegularFile(f32.resolve(dev.mergelab.engine.ModelFolderCheck.MANIFEST)));
            // the folder is MergeLab's own: --force replaces it, without --force it is refused
            assertEquals(2, cli("export", "safetensors", gguf.toString(), f32.toString()).code());
            ok(cli("export", "safetensors", gguf.toString(), f32.toString(), "--force"));
        }
    }

    /** p second: the output's tensor order is the first model's (a GGUF file lists them as the converter sorted them). */
    private static final String LINEAR = """
            merge_method: linear
            models:
              - model: DIR/b
                parameters: {weight: 0.6}
              - model: DIR/p
                parameters: {weight: 0.4}
            dtype: DTYPE
            """;

    /**
     * The same recipe, the same parent path: once a safetensors folder, once a folder holding one GGUF file with those
     * values; the outputs' shards are equal byte for byte.
     */
    private void assertMergeSameWithGgufParent(Path folderParent, Path ggufParent, String dtype) throws Exception {
        Path recipe = Files.writeString(tmp.resolve("linear.yml"), LINEAR.replace("DIR", tmp.toString()).replace("DTYPE", dtype));
        Path p = tmp.resolve("p");
        Files.move(folderParent, p);
        ok(cli("merge", recipe.toString(), tmp.resolve("from-folder").toString(), "--threads", "2"));
        Files.move(p, folderParent);
        Files.createDirectories(p);
        Files.copy(ggufParent, p.resolve("parent.gguf"));
        ok(cli("merge", recipe.toString(), tmp.resolve("from-gguf").toString(), "--threads", "2"));
        List<Path> shards;
        try (Stream<Path> s = Files.list(tmp.resolve("from-folder"))) {
            shards = s.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        assertFalse(shards.isEmpty());
        for (Path shard : shards) {
            byte[] x = Files.readAllBytes(shard), y = Files.readAllBytes(tmp.resolve("from-gguf").resolve(shard.getFileName()));
            assertArrayEquals(x, y, () -> new String(x, 0, 1500) + "\n----\n" + new String(y, 0, 1500));
        }
        try (SafetensorsFile f = SafetensorsFile.open(shards.get(0))) {
            assertFalse(f.tensors().isEmpty());
        }
        deleteTree(p);
        deleteTree(tmp.resolve("from-folder"));
        deleteTree(tmp.resolve("from-gguf"));
    }

    @Test
    void aMergeWithAGgufParentWritesWhatTheSameMergeOfItsFolderWrites() throws Exception {
        Path a = TinyExportModels.write(tmp.resolve("a"), TinyExportModels.llama(), 3);
        TinyExportModels.write(tmp.resolve("b"), TinyExportModels.llama(), 4);
        Path f32 = tmp.resolve("a-f32.gguf");
        GgufExport.export(a, f32, ExportType.F32, 2, w -> { });
        assertMergeSameWithGgufParent(a, f32, "float32");
        // a quantized parent: its values are its dequantization, which export safetensors writes as float32
        Path q8 = tmp.resolve("a-q8_0.gguf");
        GgufExport.export(a, q8, ExportType.parse("q8_0"), 2, w -> { });
        Path dequantized = tmp.resolve("a-q8-folder");
        ok(cli("export", "safetensors", q8.toString(), dequantized.toString(), "--dtype", "float32"));
        assertMergeSameWithGgufParent(dequantized, q8, "bfloat16");
    }

    @Test
    void logitsOfAGgufFileAreTheSourceFoldersAndMergeToGgufWillNotOverwriteAParent() throws Exception {
        Path a = TinyExportModels.write(tmp.resolve("a"), TinyExportModels.qwen2().sized(64, 128, 1), 3);
        Path gguf = tmp.resolve("a.gguf");
        GgufExport.export(a, gguf, ExportType.F32, 2, w -> { });
        Path ids = Files.writeString(tmp.resolve("ids.json"), "[[1, 2, 3, 400, 5000], [7, 8]]");
        ok(cli("logits", a.toString(), "--ids", ids.toString(), "--out", tmp.resolve("src.safetensors").toString(), "--threads", "2"));
        ok(cli("logits", gguf.toString(), "--ids", ids.toString(), "--out", tmp.resolve("gguf.safetensors").toString(), "--threads", "2"));
        try (SafetensorsFile s = SafetensorsFile.open(tmp.resolve("src.safetensors")); SafetensorsFile g = SafetensorsFile.open(tmp.resolve("gguf.safetensors"))) {
            for (String name : List.of("logits.0", "logits.1")) {
                GgufImportSupport.closeLogits(s.readFloats(name), g.readFloats(name));
            }
        }
        Path recipe = Files.writeString(tmp.resolve("r.yml"), """
                merge_method: linear
                models:
                  - model: SRC
                    parameters: {weight: 0.5}
                  - model: GGUF
                    parameters: {weight: 0.5}
                dtype: float32
                """.replace("GGUF", gguf.toString()).replace("SRC", a.toString()));
        byte[] before = Files.readAllBytes(gguf);
        Run r = cli("merge", recipe.toString(), gguf.toString(), "--type", "f32", "--force");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("is the input"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertArrayEquals(before, Files.readAllBytes(gguf));
        ok(cli("merge", recipe.toString(), tmp.resolve("child.gguf").toString(), "--type", "f32"));
    }

    @Test
    void benchInferAndLabRecordingTakeAGgufModel() throws Exception {
        Path a = TinyExportModels.write(tmp.resolve("a"), TinyExportModels.llama().sized(64, 128, 1), 3);
        TinyExportModels.write(tmp.resolve("b"), TinyExportModels.llama().sized(64, 128, 1), 4);
        Path gguf = tmp.resolve("a-q8_0.gguf");
        GgufExport.export(a, gguf, ExportType.parse("q8_0"), 2, w -> { });
        Run bench = cli("bench", "infer", gguf.toString(), "-p", "4", "-n", "2", "-r", "1", "--threads", "2");
        ok(bench);
        Path lab = tmp.resolve("lab");
        ok(cli("lab", "init", lab.toString()));
        Path recipe = Files.writeString(tmp.resolve("r.yml"), """
                merge_method: linear
                models:
                  - model: DIR/b
                    parameters: {weight: 0.5}
                  - model: GGUF
                    parameters: {weight: 0.5}
                dtype: bfloat16
                """.replace("DIR", tmp.toString()).replace("GGUF", gguf.toString()));
        ok(cli("merge", recipe.toString(), tmp.resolve("child").toString(), "--quiet", "--threads", "2", "--lab", lab.toString()));
        Run lineage = cli("lab", "lineage", tmp.resolve("child").toString(), "--json", "--lab", lab.toString());
        ok(lineage);
        assertTrue(lineage.out().contains("a-q8_0.gguf"), lineage.out());
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
