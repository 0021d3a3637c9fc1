package dev.mergelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mergelab tokenize}: ids and pieces for one text, and the JSONL batch mode, against the library's ids. */
class TokenizeCommandTest {

    static final Path BERT = Path.of("src/test/resources/tokenizer/synthetic/bert-wordpiece.json");
    static final Path SP = Path.of("src/test/resources/tokenizer/synthetic/bpe-sentencepiece.json");

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }

    /** The Rust library's answer for a corpus string, from the committed expectations. */
    static JsonNode expected(String tokenizer, String text) throws Exception {
        JsonNode f = new ObjectMapper().readTree(Path.of("src/test/resources/tokenizer/expected-synthetic.json").toFile());
        for (JsonNode c : f.get("tokenizers").get(tokenizer).get("cases")) {
            if (c.get("text").textValue().equals(text)) {
                return c;
            }
        }
        throw new AssertionError(text);
    }

    @Test
    void showsIdsAndPieces() throws Exception {
        Run r = run("tokenize", BERT.toString(), "Hello world");
        assertEquals(0, r.code(), r.err());
        JsonNode want = expected("bert-wordpiece", "Hello world");
        String[] lines = r.out().split("\n");
        assertEquals(want.get("ids").size() + " tokens", lines[0]);
        for (int i = 0; i < want.get("ids").size(); i++) {
            assertTrue(lines[i + 1].trim().startsWith(want.get("ids").get(i).asText() + " "), lines[i + 1]);
        }
        assertTrue(r.out().contains("\"[CLS]\""), r.out());
        Run plain = run("tokenize", "--no-special", BERT.toString(), "Hello world");
        assertEquals(want.get("idsPlain").size() + " tokens", plain.out().split("\n")[0]);
    }

    @Test
    void batchKeepsOrderAndSpecialFlag(@TempDir Path dir) throws Exception {
        List<String> texts = List.of("Hello world", "<s>Hello</s>", "", "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002");
        ObjectMapper json = new ObjectMapper();
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            var o = json.createObjectNode().put("text", texts.get(i));
            if (i == 1) {
                o.put("special", false);
            }
            in.append(json.writeValueAsString(o)).append('\n');
        }
        Path input = dir.resolve("in.jsonl");
        Path output = dir.resolve("out.jsonl");
        Files.writeString(input, in);
        Run r = run("tokenize", SP.toString(), "--input", input.toString(), "--output", output.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(output);
        assertEquals(texts.size(), lines.size());
        for (int i = 0; i < texts.size(); i++) {
            JsonNode got = json.readTree(lines.get(i));
            JsonNode want = expected("bpe-sentencepiece", texts.get(i));
            assertEquals(i == 1 ? want.get("idsPlain") : want.get("ids"), got.get("ids"), texts.get(i));
            if (i != 1) {
                assertEquals(want.get("decoded").textValue(), got.get("decoded").textValue());
            }
        }
    }

    @Test
    void badInputIsOneLineExitTwo(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.jsonl");
        Files.writeString(input, "{\"text\": \"ok\"}\n{\"text\": 3}\n");
        Run r = run("tokenize", SP.toString(), "--input", input.toString(), "--output", dir.resolve("o").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("line 2 has no \"text\" string"), r.err());
        assertEquals(2, run("tokenize", SP.toString()).code());
        assertEquals(2, run("tokenize", SP.toString(), "x", "--input", input.toString()).code());
        Run missing = run("tokenize", dir.resolve("absent").toString(), "x");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        Run noTokenizer = run("tokenize", dir.toString(), "x");
        assertEquals(2, noTokenizer.code());
        assertTrue(noTokenizer.err().contains("has no tokenizer.json"), noTokenizer.err());
    }

    @Test
    void modelFolderFindsItsTokenizer(@TempDir Path dir) throws Exception {
        Files.copy(BERT, dir.resolve("tokenizer.json"));
        Run r = run("tokenize", dir.toString(), "Hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals(expected("bert-wordpiece", "Hello world").get("ids").size() + " tokens", r.out().split("\n")[0]);
    }
}
