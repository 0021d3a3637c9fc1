package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Defects users met (issue 11): messages, dry runs that passed recipes the merge refused, repeated warnings. */
class UserFacingErrorsTest {

    @TempDir
    static Path tmp;
    static Path fam;


    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16), fam, 2);
    }

    static Path recipe(String name, String yaml) throws Exception {
        return Files.writeString(tmp.resolve(name), yaml.replace("FAM", fam.toString()));
    }

    @Test
    void mistypedSubcommandGetsASuggestion() {
        Run r = cli("mrege", "recipe.yml");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("mergelab: unknown command 'mrege'; did you mean 'merge'?"), r.err());
        assertFalse(r.err().contains("Unmatched"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        Run sub = cli("lora", "aply");
        assertTrue(sub.err().contains("did you mean 'apply'?"), sub.err());
        Run far = cli("xyzzy");
        assertTrue(far.err().startsWith("mergelab: unknown command 'xyzzy'. Commands: bench, compat"), far.err());
    }

    @Test
    void mistypedRelativeModelPathNamesTheRecipeLineAndTheFolder() throws Exception {
        // "fam/ft9", relative, looks like a hub id; it is a typo of a local path, and the recipe line says where.
        // The tests run in the project folder: a link there stands for the user's family folder.
        Path link = Files.createSymbolicLink(Path.of("uft-" + ProcessHandle.current().pid()), fam);
        try {
            Path r = recipe("typo.yml", """
                    merge_method: linear
                    models:
                      - model: LINK/ft1
                        parameters: {weight: 1.0}
                      - model: LINK/ft9
                        parameters: {weight: 1.0}
                    """.replace("LINK", link.toString()));
            Run run = cli("merge", r.toString(), "--dry-run");
            assertEquals(2, run.code());
            assertTrue(run.err().contains("typo.yml:5: model " + link + "/ft9 does not exist: the folder " + link
                    + " has base, ft1, ft2, ft3"), run.err());
            assertFalse(run.err().contains("huggingface-cli download"), run.err());
        } finally {
            Files.delete(link);
        }
        Run absolute = cli("inspect", fam.resolve("ft9").toString());
        assertTrue(absolute.err().contains("ft9 does not exist (the folder " + fam + " has base, ft1, ft2, ft3)"), absolute.err());
    }

    @Test
    void dryRunRefusesWhatTheMergeRefuses() throws Exception {
        Path zero = recipe("zero.yml", """
                merge_method: linear
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0}
                  - model: FAM/ft2
                    parameters: {weight: -1.0}
                parameters:
                  normalize: true
                """);
        Run dry = cli("merge", zero.toString(), "--dry-run");
        Run real = cli("merge", zero.toString(), tmp.resolve("zero-out").toString());
        assertEquals(2, real.code(), real.err());
        assertTrue(real.err().contains("weights sum to 0"), real.err());
        assertEquals(2, dry.code(), dry.out() + dry.err());
        assertEquals(real.err().strip(), dry.err().strip());
        assertEquals("", dry.out());
        assertFalse(Files.exists(tmp.resolve("zero-out")));

        Path della = recipe("della.yml", """
                merge_method: della
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0, density: 0.5, epsilon: 0.6}
                """);
        Run dellaDry = cli("merge", della.toString(), "--dry-run");
        assertEquals(2, dellaDry.code(), dellaDry.out());
        assertTrue(dellaDry.err().contains("puts keep probabilities outside (0,1)"), dellaDry.err());

        Path negative = recipe("negative.yml", """
                merge_method: ties
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.5, density: -0.2}
                """);
        Run negDry = cli("merge", negative.toString(), "--dry-run");
        assertEquals(2, negDry.code());
        assertTrue(negDry.err().contains("density = -0.2"), negDry.err());

        Path ok = recipe("ok.yml", """
                merge_method: linear
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0}
                """);
        Run options = cli("merge", ok.toString(), "--dry-run", "--out-shard-size", "lots");
        assertEquals(2, options.code());
        assertTrue(options.err().contains("--out-shard-size 'lots' is not a size"), options.err());
        Path existing = Files.createDirectories(tmp.resolve("existing"));
        Run exists = cli("merge", ok.toString(), existing.toString(), "--dry-run");
        assertEquals(2, exists.code());
        assertTrue(exists.err().contains("already exists"), exists.err());
    }

    @Test
    void densityAboveOneWarnsOncePerModel() throws Exception {
        Path r = recipe("dense.yml", """
                merge_method: ties
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.5, density: 1.5}
                  - model: FAM/ft2
                    parameters: {weight: 0.5, density: 1.5}
                  - model: FAM/ft3
                    parameters: {weight: 0.5, density: 0.5}
                """);
        Run run = cli("merge", r.toString(), tmp.resolve("dense-out").toString(), "--quiet");
        assertEquals(0, run.code(), run.err());
        assertEquals(2, run.err().lines().filter(l -> l.contains("density 1.5")).count(), run.err());
        assertTrue(run.err().contains("for model " + fam + "/ft1 keeps all of its task vector"), run.err());
    }

    @Test
    void memoryAboveTheHeapIsRefusedAndTheDefaultFitsTheHeap() throws Exception {
        long heap = Runtime.getRuntime().maxMemory();
        assertEquals(heap / 2, Sizes.heapBudget(null));
        Path ok = recipe("ok2.yml", """
                merge_method: linear
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0}
                """);
        Run run = cli("merge", ok.toString(), "--dry-run", "--memory", (heap / (1 << 20) + 1024) + "MiB");
        assertEquals(2, run.code());
        assertTrue(run.err().contains("is more than the Java heap"), run.err());
        Run extract = cli("lora", "extract", "--base", fam.resolve("base").toString(), "--model", fam.resolve("ft1").toString(),
                "--rank", "4", "--memory", (heap / (1 << 20) + 1024) + "MiB", tmp.resolve("lora-out").toString());
        assertEquals(2, extract.code(), extract.err());
        assertTrue(extract.err().contains("is more than the Java heap"), extract.err());
    }

    @Test
    void chatTemplateIsNotIgnoredSilently() throws Exception {
        Path r = recipe("chat.yml", """
                merge_method: linear
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0}
                chat_template: chatml
                """);
        Run run = cli("merge", r.toString(), "--dry-run");
        assertEquals(0, run.code(), run.err());
        // Applied now (ChatTemplateTest); the dry run says what the output's tokenizer_config.json will hold.
        assertTrue(run.out().contains("chat template: built-in 'chatml', written into tokenizer_config.json"), run.out());
        assertFalse(run.err().contains("chat_template"), run.err());
    }
}
