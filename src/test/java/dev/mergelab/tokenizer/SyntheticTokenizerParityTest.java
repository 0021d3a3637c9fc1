package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Small synthetic tokenizer.json files (scripts/tokenizer-ref/make-synthetic.js), one or more per component
 * (WordPiece, Unigram, WordLevel, BPE variants; every normalizer, pre-tokenizer, Split behaviour, Metaspace
 * scheme, post-processor, decoder, added-token option, truncation, padding), against the Rust library's ids
 * and decodes on the hard-string corpus ({@code expected-synthetic.json}). A file the library refuses must be
 * refused here too.
 */
class SyntheticTokenizerParityTest {

    static final Path DIR = ReferenceFixture.DIR.resolve("synthetic");

    @TestFactory
    List<DynamicTest> matchesRustLibrary() {
        JsonNode fixture = ReferenceFixture.read("expected-synthetic.json");
        List<DynamicTest> tests = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = fixture.get("tokenizers").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Path file = DIR.resolve(name + ".json");
                byte[] bytes = ReferenceFixture.bytes(file);
                assertEquals(e.getValue().get("sha256").textValue(), ReferenceFixture.sha256(bytes),
                        file + " changed since the expectations were made (run scripts/tokenizer-ref/regenerate.sh)");
                if (e.getValue().has("loadError")) {
                    MergeLabException x = assertThrows(MergeLabException.class,
                            () -> Tokenizer.fromJson(bytes, file.toString()));
                    assertTrue(x.getMessage().startsWith(file.toString()), x.getMessage());
                    return;
                }
                Tokenizer tok = Tokenizer.fromJson(bytes, file.toString());
                assertTrue(ReferenceFixture.compare(name, tok, e.getValue().get("cases")) > 50);
            }));
        }
        return tests;
    }

    @Test
    void everyComponentIsCovered() throws Exception {
        StringBuilder all = new StringBuilder();
        for (Path p : java.nio.file.Files.list(DIR).toList()) {
            all.append(java.nio.file.Files.readString(p));
        }
        String s = all.toString();
        for (String needle : List.of("\"WordPiece\"", "\"Unigram\"", "\"WordLevel\"", "\"BPE\"", "\"NFC\"", "\"NFD\"",
                "\"NFKC\"", "\"NFKD\"", "\"Lowercase\"", "\"Prepend\"", "\"Replace\"", "\"Strip\"", "\"StripAccents\"",
                "\"BertNormalizer\"", "\"ByteLevel\"", "\"Split\"", "\"Metaspace\"", "\"Whitespace\"",
                "\"WhitespaceSplit\"", "\"Digits\"", "\"Punctuation\"", "\"BertPreTokenizer\"", "\"CharDelimiterSplit\"",
                "\"Removed\"", "\"Isolated\"", "\"MergedWithPrevious\"", "\"MergedWithNext\"", "\"Contiguous\"",
                "\"invert\":true", "\"prepend_scheme\":\"first\"", "\"prepend_scheme\":\"always\"",
                "\"prepend_scheme\":\"never\"", "\"TemplateProcessing\"", "\"RobertaProcessing\"", "\"BertProcessing\"",
                "\"processors\"", "\"ByteFallback\"", "\"Fuse\"", "\"BPEDecoder\"", "\"lstrip\":true", "\"rstrip\":true",
                "\"single_word\":true", "\"byte_fallback\":true", "\"fuse_unk\":true", "\"ignore_merges\":true",
                "\"continuing_subword_prefix\":\"##\"", "\"end_of_word_suffix\":\"</w>\"", "\"Left\"", "\"Fixed\"")) {
            assertTrue(s.contains(needle), "no synthetic tokenizer uses " + needle);
        }
    }
}
