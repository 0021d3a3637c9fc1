package dev.mergelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.MethodSpec;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model cards the commands write (issue 11): no placeholder link, the base marked among the parents, no empty
 * "()" for a method without a paper, and a card for {@code lora merge} too.
 */
class ModelCardOutputTest {

    @TempDir
    static Path tmp;
    static Path fam;

    static int cli(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        assertEquals(0, code, e.toString());
        return code;
    }

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32), fam, 2);
    }

    static String merge(String name, String yaml) throws Exception {
        Path r = tmp.resolve(name + ".yml");
        Files.writeString(r, yaml.replace("FAM", fam.toString()));
        Path out = tmp.resolve(name);
        cli("merge", r.toString(), out.toString(), "--quiet");
        String card = Files.readString(out.resolve("README.md"));
        assertFalse(card.contains("github.com/mergelab"), "placeholder link: " + card);
        return card;
    }

    @Test
    void theBaseIsMarkedAndThePaperLinked() throws Exception {
        String card = merge("ties", """
                merge_method: ties
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0, density: 0.5}
                """);
        assertTrue(card.contains("- " + fam.resolve("base") + " (base)\n- " + fam.resolve("ft1") + "\n"), card);
        MethodSpec ties = MethodRegistry.get("ties").spec();
        assertTrue(card.contains("`ties`: [" + ties.paper() + "](" + ties.paperUrl() + ")\n"), card);
    }

    @Test
    void aMethodWithoutAPaperHasNoEmptyParentheses() throws Exception {
        assertEquals("", MethodRegistry.get("passthrough").spec().paperUrl(), "the spec says \"\" when there is no paper");
        String card = merge("pt", """
                merge_method: passthrough
                models:
                  - model: FAM/ft1
                """);
        assertTrue(card.contains("## Merge method\n\n`passthrough`\n"), card);
        assertFalse(card.contains("()"), card);
    }

    @Test
    void loraMergeWritesACard() throws Exception {
        String base = fam.resolve("base").toString();
        Path adapter = tmp.resolve("adapter");
        cli("lora", "extract", "--base", base, "--model", fam.resolve("ft1").toString(), "--rank", "4", "--embed-lora",
                "--skip-undecomposable", "--quiet", adapter.toString());
        assertTrue(Files.readString(adapter.resolve("README.md")).contains("library_name: peft\n"));
        Path recipe = tmp.resolve("lora.yml");
        Files.writeString(recipe, "base_model: " + base + "\ncombination_type: cat\nadapters:\n  - {adapter: " + adapter
                + ", weight: 1.0}\n  - {adapter: " + adapter + ", weight: 0.5}\n");
        Path merged = tmp.resolve("lora-merged");
        cli("lora", "merge", recipe.toString(), merged.toString());
        String card = Files.readString(merged.resolve("README.md"));
        assertTrue(card.contains("combination_type `cat`"), card);
        assertTrue(card.contains("- " + base + " (base)\n- " + adapter + " (adapter, weight 1.0)\n"), card);
        assertTrue(card.contains("```yaml\n" + Files.readString(recipe).strip() + "\n```"), card);
    }
}
