package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
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
 * A seeded random corpus (scripts/tokenizer-ref/make-random-corpus.js: 120 strings mixing whitespace variants,
 * marks, scripts, emoji sequences, case traps, digits, byte-level and metaspace lookalikes, special-token
 * fragments) through every real and synthetic tokenizer, against the Rust library ({@code expected-random.json}).
 */
class RandomCorpusParityTest {

    @TestFactory
    List<DynamicTest> matchesRustLibrary() {
        JsonNode fixture = ReferenceFixture.read("expected-random.json");
        List<DynamicTest> tests = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = fixture.get("tokenizers").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Path synthetic = SyntheticTokenizerParityTest.DIR.resolve(name + ".json");
                Path file = Files.exists(synthetic) ? synthetic : RealTokenizerParityTest.locate(name);
                Assumptions.assumeTrue(file != null, name + " tokenizer.json is not available (npm ci in scripts/tokenizer-ref)");
                byte[] bytes = ReferenceFixture.bytes(file);
                assertEquals(e.getValue().get("sha256").textValue(), ReferenceFixture.sha256(bytes), file.toString());
                if (e.getValue().has("loadError")) {
                    try {
                        Tokenizer.fromJson(bytes, file.toString());
                        throw new AssertionError(name + " loaded but the library refuses it");
                    } catch (MergeLabException expected) {
                        return;
                    }
                }
                Tokenizer tok = Tokenizer.fromJson(bytes, file.toString());
                assertTrue(ReferenceFixture.compare(name, tok, e.getValue().get("cases")) == 120);
            }));
        }
        return tests;
    }
}
