package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recipe's chat_template (issue 11): auto, built-in names and literal templates reach tokenizer_config.json. */
class ChatTemplateTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String A = "{% for m in messages %}[A]{{ m['content'] }}{% endfor %}";
    static final String B = "{% for m in messages %}[B]{{ m['content'] }}{% endfor %}";
    static final String CHATML_START = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n'";

    @TempDir
    Path tmp;
    Path fam;


    @BeforeEach
    void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16), fam, 2);
    }

    /** A task-arithmetic merge of ft1..ft3 onto base (the tokenizer source), plus {@code chatLine} (line 10). */
    Path recipe(String chatLine) throws Exception {
        return Files.writeString(tmp.resolve("recipe.yml"), """
                merge_method: task_arithmetic
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0}
                  - model: FAM/ft2
                    parameters: {weight: 1.0}
                  - model: FAM/ft3
                    parameters: {weight: 1.0}
                """.replace("FAM", fam.toString()) + chatLine + "\n");
    }

    void setConfigTemplate(String model, String template) throws Exception {
        Path p = fam.resolve(model).resolve("tokenizer_config.json");
        ObjectNode cfg = (ObjectNode) JSON.readTree(p.toFile());
        cfg.put("chat_template", template);
        Files.writeString(p, JSON.writeValueAsString(cfg));
    }

    String outputTemplate(Path out) throws Exception {
        JsonNode t = JSON.readTree(out.resolve("tokenizer_config.json").toFile()).get("chat_template");
        return t == null ? null : t.textValue();
    }

    @Test
    void autoTakesTheTemplateMostParentsShareWithChatTemplateJinjaBeforeTheConfigField() throws Exception {
        // base (a parent too) has none; ft1's config says A; ft2's and ft3's configs say A too, but their
        // chat_template.jinja says B, and transformers loads the .jinja first: B has 2 parents, A 1.
        setConfigTemplate("ft1", "  " + A + "\n");
        setConfigTemplate("ft2", A);
        setConfigTemplate("ft3", A);
        Files.writeString(fam.resolve("ft2/chat_template.jinja"), B + "\n");
        Files.writeString(fam.resolve("ft3/chat_template.jinja"), B);
        Path r = recipe("chat_template: auto");
        Run dry = cli("merge", r.toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("chat template: auto, the template of " + fam.resolve("ft2") + " and " + fam.resolve("ft3")
                + " (2 of 4 parents; 2 distinct), written into tokenizer_config.json"), dry.out());
        Path out = tmp.resolve("out");
        Run run = cli("merge", r.toString(), out.toString());
        assertEquals(0, run.code(), run.err());
        assertEquals(B, outputTemplate(out));   // stripped, as mergekit compares and writes them
    }

    @Test
    void autoTieGoesToTheEarliestParentInTheRecipe() throws Exception {
        setConfigTemplate("ft2", B);
        setConfigTemplate("ft3", A);
        Path r = recipe("chat_template: auto");
        Run dry = cli("merge", r.toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("the template of " + fam.resolve("ft2") + " (1 of 4 parents; 2 distinct, a tie settled by recipe order)"),
                dry.out());
        Path out = tmp.resolve("out");
        assertEquals(0, cli("merge", r.toString(), out.toString()).code());
        assertEquals(B, outputTemplate(out));
    }

    @Test
    void autoWithoutAnyParentTemplateKeepsTheTokenizerFilesAndSaysSo() throws Exception {
        Path r = recipe("chat_template: auto");
        Path out = tmp.resolve("out");
        Run run = cli("merge", r.toString(), out.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("recipe.yml:10: chat_template auto: none of the 4 parents has a chat template;"
                + " the output keeps the tokenizer source's files unchanged"), run.err());
        assertEquals(Files.readString(fam.resolve("base/tokenizer_config.json")), Files.readString(out.resolve("tokenizer_config.json")));
        assertEquals(null, outputTemplate(out));
    }

    @Test
    void builtInNameIsWrittenAndTheRestOfTokenizerConfigIsUnchanged() throws Exception {
        // A tokenizer config with the kinds of values real ones hold, the old template in the middle.
        Path src = fam.resolve("base/tokenizer_config.json");
        String original = """
                {"add_bos_token": true, "added_tokens_decoder": {"0": {"content": "<unk>", "special": true}},
                 "bos_token": "<s>", "chat_template": "{{ old }}", "clean_up_tokenization_spaces": false,
                 "eos_token": "</s>", "legacy": null, "model_max_length": 1000000000000000019884624838656,
                 "name": "Grüße \\u2028 ✓", "dropout": 0.1, "tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "<unk>"}
                """;
        Files.writeString(src, original);
        Files.writeString(fam.resolve("base/chat_template.jinja"), "{{ stale }}");
        Path r = recipe("chat_template: chatml");
        Run dry = cli("merge", r.toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("chat template: built-in 'chatml', written into tokenizer_config.json"
                + " (the tokenizer source's chat_template.jinja not copied)"), dry.out());
        Path out = tmp.resolve("out");
        Run run = cli("merge", r.toString(), out.toString());
        assertEquals(0, run.code(), run.err());

        String written = outputTemplate(out);
        assertTrue(written.startsWith(CHATML_START), written);
        assertTrue(written.endsWith("{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"), written);
        // The stale .jinja would win over the config on loading: it must not be in the output.
        assertFalse(Files.exists(out.resolve("chat_template.jinja")));

        JsonNode before = JSON.readTree(original);
        JsonNode after = JSON.readTree(out.resolve("tokenizer_config.json").toFile());
        assertEquals(names(before), names(after));   // same keys, same order: the template replaced in place
        ((ObjectNode) before).remove("chat_template");
        ((ObjectNode) after).remove("chat_template");
        assertEquals(before, after);
        assertEquals(0, cli("verify", out.toString()).code());
    }

    @Test
    void literalTemplateIsWrittenAsGiven() throws Exception {
        String literal = "{{ bos_token }}{% for m in messages %}<{{ m['role'] }}>: {{ m['content'] }}\n{% endfor %}";
        Path r = recipe("chat_template: \"" + literal.replace("\n", "\\n") + "\"");
        Run dry = cli("merge", r.toString(), "--dry-run");
        assertTrue(dry.out().contains("chat template: the recipe's own template (" + literal.length() + " characters)"), dry.out());
        Path out = tmp.resolve("out");
        Run run = cli("merge", r.toString(), out.toString());
        assertEquals(0, run.code(), run.err());
        assertEquals(literal, outputTemplate(out));
        // Only tokenizer_config.json changed among the copied files.
        assertEquals(Files.readString(fam.resolve("base/tokenizer.json")), Files.readString(out.resolve("tokenizer.json")));
    }

    @Test
    void unknownNameIsAOneLineErrorWithTheRecipeLineBeforeAnythingIsWritten() throws Exception {
        Path out = tmp.resolve("out");
        for (String value : List.of("vicuna", "ChatML", "{{ messages }}")) {
            Path r = recipe("chat_template: \"" + value + "\"");
            for (Run run : List.of(cli("merge", r.toString(), "--dry-run"), cli("merge", r.toString(), out.toString()))) {
                assertEquals(2, run.code(), run.err());
                assertTrue(run.err().startsWith("mergelab: " + r + ":10: chat_template '" + value + "' is not a built-in template name, nor a Jinja template"),
                        run.err());
                assertEquals(1, run.err().strip().lines().count(), run.err());
                assertFalse(Files.exists(out));
            }
        }
        Run hint = cli("merge", recipe("chat_template: ChatML").toString(), "--dry-run");
        assertTrue(hint.err().contains("did you mean 'chatml'?"), hint.err());
    }

    @Test
    void withoutChatTemplateTheTokenizerFilesAreCopiedAsTheyAre() throws Exception {
        Files.writeString(fam.resolve("base/chat_template.jinja"), A);
        setConfigTemplate("base", B);
        Path out = tmp.resolve("out");
        Run run = cli("merge", recipe("").toString(), out.toString());
        assertEquals(0, run.code(), run.err());
        assertEquals(Files.readString(fam.resolve("base/tokenizer_config.json")), Files.readString(out.resolve("tokenizer_config.json")));
        assertEquals(A, Files.readString(out.resolve("chat_template.jinja")));
    }

    @Test
    void singleFileParentsHaveNoTokenizerToCarryTheTemplateAndAWarningSaysSo() throws Exception {
        Path a = Files.copy(fam.resolve("ft1/model.safetensors"), tmp.resolve("a.safetensors"));
        Path b = Files.copy(fam.resolve("ft2/model.safetensors"), tmp.resolve("b.safetensors"));
        Path r = Files.writeString(tmp.resolve("flat.yml"), """
                merge_method: linear
                models:
                  - model: PA
                    parameters: {weight: 1.0}
                  - model: PB
                    parameters: {weight: 1.0}
                chat_template: llama3
                """.replace("PA", a.toString()).replace("PB", b.toString()));
        Run run = cli("merge", r.toString(), tmp.resolve("out").toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("flat.yml:7: chat_template is not written: the output has no tokenizer files"
                + " (its parents are single weight files)"), run.err());
    }

    static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
