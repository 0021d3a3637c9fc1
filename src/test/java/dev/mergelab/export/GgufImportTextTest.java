package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The commands that need a tokenizer, on a GGUF file: greedy {@code generate} (plain and with the chat template) gives
 * the source folder's text, {@code tokenize} its ids, and {@code eval} of a perplexity task its scores, because the tokenizer files rebuilt from
 * {@code tokenizer.ggml.*} (GgufVocabulary) tokenize and render as the source folder's do and the logits agree.
 */
class GgufImportTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of("llama", TinyExportModels.llama()), Arguments.of("qwen2", TinyExportModels.qwen2()),
                Arguments.of("gemma", TinyExportModels.gemma()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void generateAndEvalOnTheGgufFileGiveTheSourceFoldersResults(String name, TinyExportModels.Spec spec) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve(name), spec.sized(64, 128, 1), 9);
        Path gguf = tmp.resolve(name + ".gguf");
        GgufExport.export(model, gguf, ExportType.F32, 2, w -> { });
        for (String[] extra : new String[][] {{"--prompt", "The cat sat on"}, {"--chat", "--prompt", "Say hello"}}) {
            String a = generated(model, extra), b = generated(gguf, extra);
            assertEquals(a, b, String.join(" ", extra));
        }
        GgufImportCommandsTest.Run a = GgufImportCommandsTest.cli("tokenize", model.toString(), "Hello world, the cat sat.");
        GgufImportCommandsTest.Run b = GgufImportCommandsTest.cli("tokenize", gguf.toString(), "Hello world, the cat sat.");
        assertEquals(0, b.code(), b.err());
        assertEquals(a.out(), b.out());
        if (name.equals("qwen2")) {
            // The one thing a GGUF cannot say: Qwen2's tokenizer has no bos_token, but config.json's bos_token_id 151643
            // becomes tokenizer.ggml.bos_token_id, so the rebuilt tokenizer_config names <|endoftext|> as bos_token. lm-eval's
            // prefix token is the tokenizer's bos if it has one, else eos (huggingface.py prefix_token_id), so perplexity
            // differs unless the source folder names the same bos token.
            Path cfg = model.resolve("tokenizer_config.json");
            Files.writeString(cfg, Files.readString(cfg).replace("\"bos_token\": null", "\"bos_token\": \"<|endoftext|>\""));
        }
        Path text = Files.writeString(tmp.resolve("notes.txt"), "the cat sat on the mat. the dog sat on the log.\n".repeat(3));
        JsonNode src = eval(model, text), imp = eval(gguf, text);
        for (String metric : new String[] {"word_perplexity,none", "bits_per_byte,none"}) {
            double x = src.get(metric).asDouble(), y = imp.get(metric).asDouble();
            assertTrue(Math.abs(x - y) <= 1e-4 * Math.abs(x), metric + ": " + x + " vs " + y);
        }
    }

    private static String generated(Path model, String... extra) throws Exception {
        String[] args = Stream.concat(Stream.of("generate", model.toString(), "--max-tokens", "8", "--json", "--threads", "2"),
                Stream.of(extra)).toArray(String[]::new);
        GgufImportCommandsTest.Run r = GgufImportCommandsTest.cli(args);
        assertEquals(0, r.code(), r.err());
        JsonNode o = JSON.readTree(r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        return o.get("text").asText() + " | prompt tokens " + o.get("prompt_tokens").asInt();
    }

    private JsonNode eval(Path model, Path text) throws Exception {
        Path out = tmp.resolve("eval-" + model.getFileName());
        GgufImportCommandsTest.Run r = GgufImportCommandsTest.cli("eval", model.toString(), "--tasks", "ppl:" + text, "--output", out.toString(),
                "--threads", "2");
        assertEquals(0, r.code(), r.err());
        return JSON.readTree(out.resolve("results.json").toFile()).get("results").get("ppl_notes");
    }
}
