package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The lookups around encode/decode, and one tokenizer shared by several threads. */
class TokenizerApiTest {

    static Tokenizer load(String name) {
        return Tokenizer.load(SyntheticTokenizerParityTest.DIR.resolve(name + ".json"));
    }

    @Test
    void lookupsFollowTheAddedVocabulary() {
        Tokenizer t = load("bert-wordpiece");
        assertEquals(2, t.tokenToId("[CLS]"));
        assertEquals("[CLS]", t.idToToken(2));
        assertTrue(t.isSpecial("[CLS]"));
        assertFalse(t.isSpecial("foo"));
        assertEquals(-1, t.tokenToId("no such token"));
        assertNull(t.idToToken(1_000_000));
        // Unknown ids are left out of a decode, as the library does.
        assertEquals(t.decode(new int[] {2}, false), t.decode(new int[] {2, 1_000_000}, false));
    }

    @Test
    void sharedAcrossThreadsGivesTheSameIds() throws Exception {
        Tokenizer t = Tokenizer.fromJson(ReferenceFixture.bytes(RealTokenizerParityTest.locate("qwen3")), "qwen3");
        JsonNode cases = ReferenceFixture.read("expected-random.json").get("tokenizers").get("qwen3").get("cases");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                results.add(pool.submit(() -> {
                    for (JsonNode c : cases) {
                        assertArrayEquals(ReferenceFixture.ints(c.get("ids")), t.encode(c.get("text").textValue(), true));
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
