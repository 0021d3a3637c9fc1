package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.export.TinyExportModels;
import dev.mergelab.format.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code merge RECIPE OUT.gguf --type T} (issue 13): the file equals, byte for byte, merging into a folder and then
 * {@code export gguf} of that folder (the folder named as the file without .gguf, since general.name is the
 * folder's name there and the file's here); refusals are one line, exit 2, and leave no file behind.
 */
class MergeToGgufTest {

    @TempDir
    Path tmp;

    private Path parents() throws Exception {
        TinyExportModels.write(tmp.resolve("a"), TinyExportModels.llama(), 3);
        TinyExportModels.write(tmp.resolve("b"), TinyExportModels.llama(), 4);
        TinyExportModels.write(tmp.resolve("c"), TinyExportModels.llama(), 5);
        return tmp;
    }

    private Path recipe(String name, String text) throws Exception {
        return Files.writeString(tmp.resolve(name), text.replace("DIR", tmp.toString()));
    }

    private static final String LINEAR = """
            merge_method: linear
            models:
              - model: DIR/a
                parameters: {weight: 0.6}
              - model: DIR/b
                parameters: {weight: 0.4}
            dtype: bfloat16
            """;

    /** ties with a base (random-free but parameterised per model) and a chat template the merge writes into tokenizer_config.json. */
    private static final String TIES = """
            merge_method: ties
            base_model: DIR/a
            models:
              - model: DIR/b
                parameters: {weight: 0.7, density: 0.5}
              - model: DIR/c
                parameters: {weight: 0.5, density: 0.7}
            parameters: {normalize: true}
            dtype: float32
            chat_template: chatml
            """;

    private void assertSameAsTwoSteps(Path recipe, String type, String... extra) throws Exception {
        Path direct = Files.createDirectories(tmp.resolve("direct-" + type)).resolve("child.gguf");
        String[] args = Stream.concat(Stream.of("merge", recipe.toString(), direct.toString(), "--type", type, "--threads", "2"),
                Stream.of(extra)).toArray(String[]::new);
        Run r = cli(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("into " + direct) && r.out().contains("llama " + type), r.out());

        Path two = Files.createDirectories(tmp.resolve("two-" + type));
        String[] mergeArgs = Stream.concat(Stream.of("merge", recipe.toString(), two.resolve("child").toString(), "--threads", "2"),
                Stream.of(extra)).toArray(String[]::new);
        Run m = cli(mergeArgs);
        assertEquals(0, m.code(), m.err());
        Path ref = two.resolve("ref.gguf");
        Run e = cli("export", "gguf", two.resolve("child").toString(), ref.toString(), "--type", type);
        assertEquals(0, e.code(), e.err());
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(direct), recipe.getFileName() + " " + type);
        try (Stream<Path> left = Files.list(direct.getParent())) {
            assertEquals(1, left.count(), "only the .gguf is written: no folder, no scratch file");
        }
    }

    @Test
    void aLinearMergeToF32AndQ4KmEqualsMergeThenExport() throws Exception {
        parents();
        Path r = recipe("linear.yml", LINEAR);
        assertSameAsTwoSteps(r, "f32");
        assertSameAsTwoSteps(r, "q4_k_m");
    }

    @Test
    void aTiesMergeWithAChatTemplateEqualsMergeThenExport() throws Exception {
        parents();
        Path r = recipe("ties.yml", TIES);
        assertSameAsTwoSteps(r, "f32");
        assertSameAsTwoSteps(r, "q6_k");
        try (GgufFile g = GgufFile.open(tmp.resolve("direct-f32/child.gguf"))) {
            assertTrue(g.metadata().get("tokenizer.chat_template").contains("<|im_start|>"), "the recipe's template, not the parents'");
            assertEquals("Child", g.metadata().get("general.name"));
            assertTrue(g.metadata().get("general.tags").contains("mergelab"), g.metadata().get("general.tags"));
        }
    }

    /** A random method: the seed reaches the streamed merge as it reaches the folder's. */
    @Test
    void aRandomMethodWithASeedEqualsMergeThenExport() throws Exception {
        parents();
        Path r = recipe("dare.yml", """
                merge_method: dare_ties
                base_model: DIR/a
                models:
                  - model: DIR/b
                    parameters: {weight: 0.6, density: 0.5}
                  - model: DIR/c
                    parameters: {weight: 0.4, density: 0.5}
                dtype: bfloat16
                """);
        assertSameAsTwoSteps(r, "q8_0", "--random-seed", "7");
    }

    /**
     * Parents named by Hub id: the merge's own model card lists them as base models, so the GGUF carries the lineage
     * (general.base_model.*) as the converter writes it from the folder's README.md, and the bytes equal the folder route.
     */
    @Test
    void hubIdParentsBecomeTheGgufsBaseModels() throws Exception {
        parents();
        java.util.Map<String, Path> hub = java.util.Map.of("org-a/parent-one", tmp.resolve("a"), "org-b/parent-two", tmp.resolve("b"));
        dev.mergelab.engine.ModelOpener opener = ref -> dev.mergelab.model.ModelSource.open(hub.get(ref), ref);
        dev.mergelab.recipe.Recipe recipe = dev.mergelab.recipe.Recipe.parse("""
                merge_method: task_arithmetic
                base_model: org-a/parent-one
                models:
                  - model: org-b/parent-two
                    parameters: {weight: 0.5}
                dtype: bfloat16
                """, "hub.yml");
        dev.mergelab.engine.MergeRun.Options options = new dev.mergelab.engine.MergeRun.Options(2, 1L << 30, 5L << 30, 0, false, false);
        Path direct = tmp.resolve("child.gguf");
        Path folder = tmp.resolve("two/child");
        Files.createDirectories(folder.getParent());
        try (var session = dev.mergelab.engine.MergeSession.open(recipe, opener, w -> { })) {
            MergeToGguf.write(recipe, session.plan(), session, direct, dev.mergelab.export.ExportType.F16, options, w -> { });
            dev.mergelab.engine.MergeRun.execute(recipe, session.plan(), folder, options, new dev.mergelab.engine.ProgressListener() { });
        }
        Path ref = tmp.resolve("two/ref.gguf");
        dev.mergelab.export.GgufExport.export(folder, ref, dev.mergelab.export.ExportType.F16, 2, w -> { });
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(direct));
        try (GgufFile g = GgufFile.open(direct)) {
            var m = g.metadata();
            assertEquals("2", m.get("general.base_model.count"));
            assertEquals("Parent One", m.get("general.base_model.0.name"));
            assertEquals("Org A", m.get("general.base_model.0.organization"));
            assertEquals("https://huggingface.co/org-b/parent-two", m.get("general.base_model.1.repo_url"));
        }
    }

    /** Several shards in the folder: the converter reads the files by name, so the F32 tensor order follows the shards. */
    @Test
    void theTensorOrderFollowsTheShardsTheFolderWouldHave() throws Exception {
        parents();
        assertSameAsTwoSteps(recipe("linear.yml", LINEAR), "f32", "--out-shard-size", "20KB");
    }

    @Test
    void badInputIsOneLineExitTwoAndLeavesNoFile() throws Exception {
        parents();
        Path r = recipe("linear.yml", LINEAR);
        Path out = tmp.resolve("out.gguf");

        Run noType = cli("merge", r.toString(), out.toString());
        assertOneLine(noType, "--type is required");
        Run typeForFolder = cli("merge", r.toString(), tmp.resolve("folder").toString(), "--type", "f16");
        assertOneLine(typeForFolder, "--type is for a GGUF output");
        assertFalse(Files.exists(tmp.resolve("folder")));
        Run unknownType = cli("merge", r.toString(), out.toString(), "--type", "q3_k_xl");
        assertOneLine(unknownType, "unknown GGUF type 'q3_k_xl'");

        Path exists = Files.writeString(tmp.resolve("exists.gguf"), "keep me");
        assertOneLine(cli("merge", r.toString(), exists.toString(), "--type", "f32"), "--force");
        assertEquals("keep me", Files.readString(exists));
        assertEquals(0, cli("merge", r.toString(), exists.toString(), "--type", "f32", "--force").code());
        try (GgufFile g = GgufFile.open(exists)) {
            assertEquals("llama", g.metadata().get("general.architecture"));
        }

        for (String p : new String[] {"a", "b"}) {
            Path cfg = tmp.resolve(p).resolve("config.json");
            Files.writeString(cfg, Files.readString(cfg).replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        }
        Run arch = cli("merge", r.toString(), out.toString(), "--type", "f32");
        assertOneLine(arch, "GPT2LMHeadModel");
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(0, files.filter(f -> f.getFileName().toString().startsWith("out.gguf")).count(), "no out.gguf, no .partial");
        }
    }

    @Test
    void aMergeToGgufIsRecordedInTheLabAsAMergeOfTheParents() throws Exception {
        parents();
        Path lab = tmp.resolve("lab");
        assertEquals(0, cli("lab", "init", lab.toString()).code());
        Path out = tmp.resolve("child.gguf");
        Run r = cli("merge", recipe("linear.yml", LINEAR).toString(), out.toString(), "--type", "q8_0", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("lab: recorded new candidate "), r.out());
        Run lineage = cli("lab", "lineage", out.toString(), "--json", "--lab", lab.toString());
        assertEquals(0, lineage.code(), lineage.err());
        String json = lineage.out().replace(" ", "");
        assertTrue(json.contains("\"relation\":\"merge\""), lineage.out());
        assertTrue(lineage.out().contains(tmp.resolve("a").toString()) || lineage.out().contains("/a\""), lineage.out());
    }

    private static void assertOneLine(Run r, String contains) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(contains), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
