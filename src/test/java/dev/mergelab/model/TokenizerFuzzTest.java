package dev.mergelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the tokenizer summary ({@link TokenizerInfo#of}): vocabulary counting over
 * tokenizer.json, vocab.json and added_tokens.json, and the fingerprint. The first input byte picks which
 * files the rest becomes (see {@link #layout}); seeds in {@code src/test/resources/fuzz/tokenizer/} use the
 * same framing.
 */
class TokenizerFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-tokenizer-");

    @FuzzTest(maxDuration = "5m")
    void summary(byte[] data) throws Exception {
        FuzzProperty.clear(DIR);
        layout(data, DIR);
        FuzzProperty.acceptedOrInputError(DIR.toString(), data.length, () -> check(TokenizerInfo.of(DIR)));
    }

    /**
     * Byte 0 mod 4: 0 = the rest is tokenizer.json; 1 = vocab.json; 2 = vocab.json and added_tokens.json
     * split at the first NUL; 3 = tokenizer.json and vocab.json split at the first NUL.
     */
    static void layout(byte[] data, Path dir) throws Exception {
        if (data.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        int nul = indexOf(rest, (byte) 0);
        byte[] first = nul < 0 ? rest : Arrays.copyOfRange(rest, 0, nul);
        byte[] second = nul < 0 ? new byte[0] : Arrays.copyOfRange(rest, nul + 1, rest.length);
        switch (data[0] & 3) {
            case 0 -> Files.write(dir.resolve("tokenizer.json"), rest);
            case 1 -> Files.write(dir.resolve("vocab.json"), rest);
            case 2 -> {
                Files.write(dir.resolve("vocab.json"), first);
                Files.write(dir.resolve("added_tokens.json"), second);
            }
            default -> {
                Files.write(dir.resolve("tokenizer.json"), first);
                Files.write(dir.resolve("vocab.json"), second);
            }
        }
    }

    private static int indexOf(byte[] b, byte v) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static void check(TokenizerInfo info) {
        info.vocabSize().ifPresent(n -> assertTrue(n > 0, "vocabulary size " + n));
        if (info.present()) {
            assertEquals(64, info.fingerprint() == null ? 64 : info.fingerprint().length());
        }
    }

    @Test
    void seedsGiveVocabularySizes() throws Exception {
        int counted = 0;
        for (Path seed : FuzzSeeds.of("tokenizer")) {
            FuzzProperty.clear(DIR);
            layout(Files.readAllBytes(seed), DIR);
            TokenizerInfo info = TokenizerInfo.of(DIR);
            check(info);
            if (seed.getFileName().toString().startsWith("valid-")) {
                assertTrue(info.vocabSize().isPresent(), seed.toString());
                counted++;
            }
        }
        assertTrue(counted >= 3, "seeds with a vocabulary size: " + counted);
    }
}
