package dev.mergelab.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EOS ids as transformers' GenerationConfig finds them. */
class EosIdsTest {

    @TempDir
    Path dir;

    @Test
    void generationConfigFirstThenConfigAndAListOrANumber() throws IOException {
        assertEquals(Set.of(), EosIds.of(dir));
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 2}");
        assertEquals(Set.of(2), EosIds.of(dir));
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 1}");
        assertEquals(Set.of(2), EosIds.of(dir), "a generation config without eos_token_id leaves config.json's");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [128001, 128008, 128009]}");
        assertEquals(List.of(128001, 128008, 128009), List.copyOf(EosIds.of(dir)));
    }

    @Test
    void aBadValueIsOneLineNamingTheFile() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"</s>\"}");
        MergeLabException e = assertThrows(MergeLabException.class, () -> EosIds.of(dir));
        assertTrue(e.getMessage().contains("generation_config.json: eos_token_id must be a token id"), e.getMessage());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1,");
        e = assertThrows(MergeLabException.class, () -> EosIds.of(dir));
        assertTrue(e.getMessage().contains("generation_config.json is not valid JSON"), e.getMessage());
    }
}
