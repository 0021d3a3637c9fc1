package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuxFilesTest {

    @TempDir
    Path dir;

    private static final String BPE_TOKENIZER = """
            {"version":"1.0","truncation":null,
             "added_tokens":[{"id":5,"content":"<s>","special":true},{"id":6,"content":"</s>","special":true}],
             "normalizer":null,
             "model":{"type":"BPE","dropout":null,"vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4},"merges":["a b","b c"]}}
            """;

    @Test
    void presentFilesInFixedOrder() throws Exception {
        Files.writeString(dir.resolve("generation_config.json"), "{}");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        Files.writeString(dir.resolve("tokenizer.json"), BPE_TOKENIZER);
        Files.writeString(dir.resolve("model.safetensors"), "w");
        Files.createDirectories(dir.resolve("vocab.json")); // a folder with a file's name is not a file
        List<String> names = AuxFiles.present(dir).stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json"), names);
        assertEquals(List.of(), AuxFiles.present(dir.resolve("model.safetensors")));
    }

    @Test
    void tokenizerLinkedOutsideIsRefused() throws Exception {
        Path model = Files.createDirectories(dir.resolve("m"));
        Files.writeString(dir.resolve("elsewhere.json"), "{}");
        Files.createSymbolicLink(model.resolve("tokenizer.json"), dir.resolve("elsewhere.json"));
        assertThrows(MergeLabException.class, () -> AuxFiles.present(model));
        assertThrows(MergeLabException.class, () -> TokenizerInfo.of(model));
    }

    @Test
    void bpeVocabularySizeCountsAddedTokens() throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), BPE_TOKENIZER);
        Files.writeString(dir.resolve("special_tokens_map.json"), "{}");
        TokenizerInfo info = TokenizerInfo.of(dir);
        assertTrue(info.present());
        assertEquals(List.of("tokenizer.json", "special_tokens_map.json"), info.files());
        assertEquals(7, info.vocabSize().getAsInt());
        assertEquals(64, info.fingerprint().length());
    }

    @Test
    void unigramVocabularyIsAList() throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["a",-1.5],["b",-2.0]]},
                 "added_tokens":[]}""");
        assertEquals(3, TokenizerInfo.of(dir).vocabSize().getAsInt());
    }

    @Test
    void gpt2StyleVocabJson() throws Exception {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\":0,\"b\":1,\"<|endoftext|>\":2}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n");
        Files.writeString(dir.resolve("added_tokens.json"), "{\"<pad>\":3}");
        assertEquals(4, TokenizerInfo.of(dir).vocabSize().getAsInt());
        Files.writeString(dir.resolve("added_tokens.json"), "{\"<huge>\":9999999999}");
        assertTrue(TokenizerInfo.of(dir).vocabSize().isEmpty(), "ids past int range are not a size");
    }

    @Test
    void fingerprintTracksVocabularyNotSettings() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        Files.writeString(a.resolve("tokenizer.json"), BPE_TOKENIZER);
        Files.writeString(b.resolve("tokenizer.json"), BPE_TOKENIZER);
        Files.writeString(a.resolve("tokenizer_config.json"), "{\"chat_template\":\"x\"}");
        Files.writeString(b.resolve("tokenizer_config.json"), "{\"chat_template\":\"y\"}");
        assertTrue(TokenizerInfo.of(a).sameVocabularyAs(TokenizerInfo.of(b)));
        Files.writeString(b.resolve("tokenizer.json"), BPE_TOKENIZER.replace("\"bc\":4", "\"cb\":4"));
        assertNotEquals(TokenizerInfo.of(a).fingerprint(), TokenizerInfo.of(b).fingerprint());
    }

    @Test
    void noTokenizerAndUnreadableOnes() throws Exception {
        TokenizerInfo none = TokenizerInfo.of(dir);
        assertFalse(none.present());
        assertNull(none.fingerprint());
        assertFalse(none.sameVocabularyAs(none));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": [[[[");
        TokenizerInfo broken = TokenizerInfo.of(dir);
        assertTrue(broken.present());
        assertTrue(broken.vocabSize().isEmpty(), "counting is best effort");
        assertTrue(broken.fingerprint() != null);
    }
}
