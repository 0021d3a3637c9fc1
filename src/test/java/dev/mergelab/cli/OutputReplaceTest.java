package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.engine.FileHashes;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --force} replaces only a folder MergeLab wrote, and no command writes over, into or around one of its own
 * inputs, with or without the flag (issue 11: {@code merge r.yml fam/ft1 --force} replaced an input model, and
 * {@code merge r.yml sandbox --force} deleted a folder holding the inputs and a notes file).
 */
class OutputReplaceTest {

    @TempDir
    static Path tmp;
    static Path sandbox;
    static Path fam;
    static Path recipe;


    @BeforeAll
    static void family() throws Exception {
        sandbox = tmp.resolve("sandbox");
        fam = sandbox.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32), fam, 2);
        Files.writeString(sandbox.resolve("notes.txt"), "my notes");
        recipe = sandbox.resolve("r.yml");
        Files.writeString(recipe, """
                merge_method: task_arithmetic
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.5}
                """.replace("FAM", fam.toString()));
    }

    /** Every file under {@code dir} with its SHA-256. */
    static Map<String, String> tree(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), FileHashes.sha256(p));
            }
        }
        return out;
    }

    static void refused(Run run, String fragment) {
        assertEquals(2, run.code(), run.out() + run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains(fragment), run.err());
    }

    @Test
    void forceNeverReplacesAnInputModel() throws Exception {
        Map<String, String> before = tree(sandbox);
        refused(cli("merge", recipe.toString(), fam.resolve("ft1").toString(), "--quiet", "--force"), "is the input");
        // the folder holding the inputs and the user's notes
        refused(cli("merge", recipe.toString(), sandbox.toString(), "--quiet", "--force"), "contains the input");
        // a new folder inside an input is refused too, with or without --force
        refused(cli("merge", recipe.toString(), fam.resolve("ft1").resolve("merged").toString(), "--quiet"), "lies inside the input");
        assertEquals(before, tree(sandbox));
        assertFalse(Files.exists(fam.resolve("ft1").resolve("merged")));
    }

    @Test
    void linksDoNotHideAnInput() throws Exception {
        Map<String, String> before = tree(sandbox);
        Path link = Files.createSymbolicLink(tmp.resolve("link-to-ft1"), fam.resolve("ft1"));
        refused(cli("merge", recipe.toString(), link.toString(), "--quiet", "--force"), "is the input");
        // the recipe names the inputs through a linked folder; OUT_DIR names one by its real path
        Path famLink = Files.createSymbolicLink(tmp.resolve("fam-link"), fam);
        Path linkedRecipe = tmp.resolve("linked.yml");
        Files.writeString(linkedRecipe, Files.readString(recipe).replace(fam.toString(), famLink.toString()));
        refused(cli("merge", linkedRecipe.toString(), fam.resolve("base").toString(), "--quiet", "--force"), "is the input");
        assertEquals(before, tree(sandbox));
    }

    @Test
    void forceReplacesOnlyAFolderMergeLabWrote() throws Exception {
        Path user = Files.createDirectories(tmp.resolve("user-folder"));
        Files.writeString(user.resolve("notes.txt"), "mine");
        refused(cli("merge", recipe.toString(), user.toString(), "--quiet", "--force"), "was not written by MergeLab");
        assertEquals("mine", Files.readString(user.resolve("notes.txt")));

        Path out = tmp.resolve("merged");
        assertEquals(0, cli("merge", recipe.toString(), out.toString(), "--quiet").code());
        assertEquals(0, cli("merge", recipe.toString(), out.toString(), "--quiet", "--force").code(), "MergeLab's own output is replaced");
        Files.writeString(out.resolve("eval-results.txt"), "hours of evaluation");
        refused(cli("merge", recipe.toString(), out.toString(), "--quiet", "--force"), "holds eval-results.txt");
        assertEquals("hours of evaluation", Files.readString(out.resolve("eval-results.txt")));
    }

    @Test
    void loraCommandsFollowTheSameRule() throws Exception {
        Map<String, String> before = tree(sandbox);
        String base = fam.resolve("base").toString();
        String ft = fam.resolve("ft1").toString();
        refused(cli("lora", "extract", "--base", base, "--model", ft, "--rank", "4", "--quiet", "--force", ft), "is the input");
        refused(cli("lora", "extract", "--base", base, "--model", ft, "--rank", "4", "--quiet", "--force", sandbox.toString()),
                "contains the input");
        assertEquals(before, tree(sandbox));

        Path adapter = tmp.resolve("adapter");
        assertEquals(0, cli("lora", "extract", "--base", base, "--model", ft, "--rank", "4", "--embed-lora", "--skip-undecomposable", "--quiet", adapter.toString()).code());
        assertTrue(Files.exists(adapter.resolve("mergelab_manifest.json")), "adapters carry a manifest, so --force can replace them");
        Run again = cli("lora", "extract", "--base", base, "--model", ft, "--rank", "4", "--embed-lora", "--skip-undecomposable", "--quiet",
                "--force", adapter.toString());
        assertEquals(0, again.code(), again.err());

        Path loraRecipe = tmp.resolve("lora.yml");
        Files.writeString(loraRecipe, "base_model: " + base + "\ncombination_type: linear\nadapters:\n  - {adapter: " + adapter
                + ", weight: 1.0}\n  - {adapter: " + adapter + ", weight: 0.5}\n");
        Map<String, String> adapterBefore = tree(adapter);
        refused(cli("lora", "merge", loraRecipe.toString(), adapter.toString(), "--force"), "is the input");
        assertEquals(adapterBefore, tree(adapter));

        refused(cli("lora", "apply", base, adapter.toString(), adapter.toString(), "--quiet", "--force"), "is the input");
        refused(cli("lora", "apply", base, adapter.toString(), base, "--quiet", "--force"), "is the input");
        assertEquals(adapterBefore, tree(adapter));
        assertEquals(before, tree(sandbox));
    }
}
