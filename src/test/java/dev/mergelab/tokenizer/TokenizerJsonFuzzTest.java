package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the tokenizer.json loader ({@link Tokenizer#fromJson}): any input loads or is
 * refused with a one-line INPUT error; a loaded tokenizer encodes and decodes a few short texts (which may
 * also end in an INPUT error, e.g. an unknown token missing from the vocab) and gives ids it can name back.
 */
class TokenizerJsonFuzzTest {

    /** Short on purpose: a fuzzed regex can backtrack exponentially in the text length. */
    static final List<String> SAMPLES = List.of("Hello world", " a  b\n", "h\u00e9llo <s> 12", "", "\u2581x\u00a0\ud83d\ude00");

    @FuzzTest(maxDuration = "5m")
    void load(byte[] data) {
        FuzzProperty.acceptedOrInputError("tokenizer.json", data.length,
                () -> exercise(Tokenizer.fromJson(data, "tokenizer.json")));
    }

    static void exercise(Tokenizer tok) {
        for (String s : SAMPLES) {
            int[] ids = tok.encode(s, true);
            tok.decode(ids, false);
            tok.decode(ids, true);
            for (int id : ids) {
                String t = tok.idToToken(id);
                assertTrue(t != null || id >= 0, "id " + id);
            }
        }
    }

    @Test
    void seedsCoverBothOutcomes() throws Exception {
        int accepted = 0;
        int refused = 0;
        for (Path seed : FuzzSeeds.of("tokenizer-json")) {
            byte[] data = Files.readAllBytes(seed);
            boolean ok = FuzzProperty.acceptedOrInputError(seed.toString(), data.length,
                    () -> exercise(Tokenizer.fromJson(data, "tokenizer.json")));
            String name = seed.getFileName().toString();
            if (name.startsWith("valid-")) {
                assertTrue(ok, name);
            } else if (name.startsWith("invalid-")) {
                assertFalse(ok, name);
            }
            accepted += ok ? 1 : 0;
            refused += ok ? 0 : 1;
        }
        assertTrue(accepted >= 5 && refused >= 10, accepted + " accepted, " + refused + " refused");
        assertEquals(accepted + refused, FuzzSeeds.of("tokenizer-json").size());
    }
}
