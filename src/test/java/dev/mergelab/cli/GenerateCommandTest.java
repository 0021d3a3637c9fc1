package dev.mergelab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.engine.ChatTemplates;
import dev.mergelab.generate.EosIds;
import dev.mergelab.generate.Generator;
import dev.mergelab.generate.Sampling;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.ModelSource;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import dev.mergelab.tokenizer.ChatTemplate;
import dev.mergelab.tokenizer.ChatValues;
import dev.mergelab.tokenizer.Tokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mergelab generate} end to end on a synthetic family whose tokenizer splits on whitespace and knows
 * ChatML's two special tokens, so chat prompts are many tokens and turns share a prefix.
 */
class GenerateCommandTest {

    @TempDir
    static Path tmp;
    static Path base;
    static Path recipe;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void family() throws IOException {
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16).withFineTunes(1), tmp.resolve("fam"), 1);
        base = tmp.resolve("fam/base");
        for (String m : List.of("base", "ft1")) {
            Files.writeString(tmp.resolve("fam").resolve(m).resolve("tokenizer.json"), chatTokenizer());
        }
        recipe = tmp.resolve("recipe.yml");
        Files.writeString(recipe, """
                merge_method: linear
                models:
                  - model: %s
                    parameters: {weight: 0.5}
                  - model: %s
                    parameters: {weight: 0.5}
                dtype: bfloat16
                chat_template: chatml
                """.formatted(base, tmp.resolve("fam/ft1")));
    }

    /** WordLevel over the family's 256 ids, split on whitespace, with <|im_start|> (3) and <|im_end|> (4) special. */
    private static String chatTokenizer() throws IOException {
        ObjectNode tok = JSON.createObjectNode();
        tok.put("version", "1.0");
        ArrayNode added = tok.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("special", true);
        }
        tok.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
        ObjectNode model = tok.putObject("model");
        model.put("type", "WordLevel");
        model.put("unk_token", "<unk>");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < 256; i++) {
            vocab.put(i < specials.length ? specials[i] : "tok" + i, i);
        }
        return JSON.writeValueAsString(tok);
    }

    private static InProcessCli.Run cli(String... args) {
        return InProcessCli.cli(args);
    }

    private static Path write(String name, String text) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static int[] ids(JsonNode result) {
        int[] out = new int[result.get("ids").size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = result.get("ids").get(i).intValue();
        }
        return out;
    }

    @Test
    void aPromptIsContinuedGreedilyAndTheSpeedsGoToStderr() {
        InProcessCli.Run r = cli("generate", base.toString(), "--prompt", "tok5 tok9 tok77", "--max-tokens", "7", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertEquals(7, r.out().strip().split(" ").length, r.out());
        assertTrue(r.err().matches("(?s)prompt: 3 tokens, [0-9.]+ t/s; generated: 7 tokens, [0-9.]+ t/s \\(stop: max tokens\\)\\s*"), r.err());
        assertEquals(r.out(), cli("generate", base.toString(), "--prompt", "tok5 tok9 tok77", "--max-tokens", "7").out());
    }

    @Test
    void chatOnAConversationFileEqualsTheGreedyContinuationOfTheRenderedTemplate() throws IOException {
        String conversation = """
                [{"role": "system", "content": "tok10 tok11"},
                 {"role": "user", "content": "tok12 tok13 tok14"},
                 {"role": "assistant", "content": "tok15"},
                 {"role": "user", "content": "tok16"}]""";
        Path file = write("conv.json", conversation);
        InProcessCli.Run r = cli("generate", base.toString(), "--chat-template", "chatml", "--messages", file.toString(),
                "--max-tokens", "6", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode result = JSON.readTree(r.out());
        ChatTemplate t = ChatTemplate.of(ChatTemplates.builtIn("chatml").orElseThrow(), "chatml", base);
        Tokenizer tok = Tokenizer.load(base.resolve("tokenizer.json"));
        int[] prompt = tok.encode(t.render(ChatValues.readMessages(file), null, true, Map.of()), false);
        assertEquals(prompt.length, result.get("prompt_tokens").intValue());
        assertTrue(prompt.length > 15, "the chat prompt is many tokens");
        try (ModelSource src = ModelSource.open(base, "base"); Workers w = new Workers(1)) {
            Generator.Result expected = new Generator(TransformerModel.load(src, w), tok).generate(prompt,
                    new Generator.Options(6, Sampling.greedy(), EosIds.of(base), List.of()), s -> { });
            assertArrayEquals(expected.generated(), ids(result));
            assertEquals(expected.text(), result.get("text").textValue());
        }
    }

    @Test
    void chatOnARecipeUsesTheRecipesTemplateAndIsDeterministic() throws IOException {
        InProcessCli.Run r = cli("generate", recipe.toString(), "--chat", "--prompt", "tok20 tok21", "--max-tokens", "5",
                "--temperature", "0.9", "--top-k", "40", "--top-p", "0.9", "--min-p", "0.01", "--repeat-penalty", "1.3",
                "--seed", "7", "--json");
        assertEquals(0, r.code(), r.err());
        InProcessCli.Run again = cli("generate", recipe.toString(), "--chat", "--prompt", "tok20 tok21", "--max-tokens", "5",
                "--temperature", "0.9", "--top-k", "40", "--top-p", "0.9", "--min-p", "0.01", "--repeat-penalty", "1.3",
                "--seed", "7", "--json");
        JsonNode a = JSON.readTree(r.out());
        JsonNode b = JSON.readTree(again.out());
        assertEquals(a.get("ids"), b.get("ids"));
        assertEquals(a.get("text"), b.get("text"));
        assertTrue(a.get("generated_tokens").intValue() >= 1, r.out());
    }

    @Test
    void interactiveChatKeepsTheConversationAndItsCache() {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream("tok30 tok31\n\ntok32\n".getBytes(StandardCharsets.UTF_8)));
            InProcessCli.Run r = cli("generate", base.toString(), "--chat-template", "chatml", "--max-tokens", "3");
            assertEquals(0, r.code(), r.err());
            assertEquals(2, r.out().strip().lines().count(), r.out());
            List<String> speeds = r.err().lines().filter(l -> l.contains("prompt:")).toList();
            assertEquals(2, speeds.size(), r.err());
            assertFalse(speeds.get(0).contains("cached"), speeds.get(0));
            assertTrue(speeds.get(1).matches(".*prompt: \\d+ tokens \\(\\d+ cached\\).*"), speeds.get(1));
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() {
        String free = cli("generate", base.toString(), "--prompt", "tok5", "--max-tokens", "10").out().strip();
        String[] words = free.split(" ");
        String stop = words[3] + " " + words[4];
        InProcessCli.Run r = cli("generate", base.toString(), "--prompt", "tok5", "--max-tokens", "10", "--stop", stop,
                "--stop", "never-appears");
        assertEquals(0, r.code(), r.err());
        assertEquals(free.substring(0, free.indexOf(stop)), r.out().substring(0, r.out().length() - 1));
        assertTrue(r.err().contains("(stop: stop string)"), r.err());
    }

    @Test
    void toolsReachTheTemplate() throws IOException {
        Path template = write("tools.jinja", "{% for t in tools %}{{ t.function.name }} {% endfor %}{{ messages[-1].content }}");
        Path tools = write("tools.json", "[{\"type\": \"function\", \"function\": {\"name\": \"tok40\"}},"
                + " {\"type\": \"function\", \"function\": {\"name\": \"tok41\"}}]");
        InProcessCli.Run r = cli("generate", base.toString(), "--chat-template", template.toString(), "--tools", tools.toString(),
                "--prompt", "tok42", "--max-tokens", "1", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, JSON.readTree(r.out()).get("prompt_tokens").intValue(), r.out());
        Path notList = write("tools-object.json", "{\"name\": \"x\"}");
        r = cli("generate", base.toString(), "--chat-template", template.toString(), "--tools", notList.toString(), "--prompt", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("tools must be a JSON list"), r.err());
    }

    @Test
    void aModelWithoutAChatTemplateSaysHowToGiveOne() {
        InProcessCli.Run r = cli("generate", base.toString(), "--chat", "--prompt", "hi");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("has no chat template") && r.err().contains("--chat-template alpaca|chatml"), r.err());
    }

    @Test
    void malformedMessagesNameTheFileAndThePosition() throws IOException {
        Path bad = write("bad.json", "[{\"role\": \"user\", \"content\": \"hi\"},\n  {\"role\": }]");
        InProcessCli.Run r = cli("generate", base.toString(), "--chat-template", "chatml", "--messages", bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(bad.toString()) && r.err().contains("line 2, column"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        Path noRole = write("norole.json", "[{\"content\": \"hi\"}]");
        r = cli("generate", base.toString(), "--chat-template", "chatml", "--messages", noRole.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("message 0 has no \"role\""), r.err());
    }

    @Test
    void aTemplateThatRefusesTheConversationIsOneLine() throws IOException {
        Path file = write("order.json", "[{\"role\": \"assistant\", \"content\": \"tok5\"}]");
        InProcessCli.Run r = cli("generate", base.toString(), "--chat-template", "mistral", "--messages", file.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("template raised: mistral needs user and assistant turns alternating"), r.err());
        Path broken = write("broken.jinja", "{% for m in messages %}\n{{ m.content }\n");
        r = cli("generate", base.toString(), "--chat-template", broken.toString(), "--prompt", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("mergelab: " + broken + ": line "), r.err());
        r = cli("generate", base.toString(), "--chat-template", "chatml2", "--prompt", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("neither a built-in template"), r.err());
    }

    @Test
    void anUnsupportedArchitectureIsNamed() throws IOException {
        Path copy = tmp.resolve("alien");
        Files.createDirectories(copy);
        for (String f : List.of("model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(base.resolve(f), copy.resolve(f));
        }
        Files.writeString(copy.resolve("config.json"), Files.readString(base.resolve("config.json"))
                .replace("LlamaForCausalLM", "NopeForCausalLM").replace("\"llama\"", "\"nope\""));
        InProcessCli.Run r = cli("generate", copy.toString(), "--prompt", "tok5");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("NopeForCausalLM"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void badSamplingSettingsAreRefused() {
        assertEquals(2, cli("generate", base.toString(), "--prompt", "x", "--top-p", "1.5").code());
        assertEquals(2, cli("generate", base.toString(), "--prompt", "x", "--temperature", "0", "--top-k", "3").code());
        assertEquals(2, cli("generate", base.toString(), "--prompt", "x", "--max-tokens", "0").code());
        assertEquals(2, cli("generate", base.toString()).code());
    }
}
