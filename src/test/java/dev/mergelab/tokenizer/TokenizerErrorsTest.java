package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Untrusted tokenizer.json files: each problem is one INPUT line naming the file and the field. */
class TokenizerErrorsTest {

    static final String WORDLEVEL = "{\"type\": \"WordLevel\", \"vocab\": {\"<unk>\": 0, \"a\": 1}, \"unk_token\": \"<unk>\"}";

    static MergeLabException refused(String json) {
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> Tokenizer.fromJson(json.getBytes(StandardCharsets.UTF_8), "t.json"));
        FuzzProperty.checkInputError(e, json);
        assertTrue(e.getMessage().startsWith("t.json"), e.getMessage());
        return e;
    }

    static String with(String key, String value) {
        return "{\"" + key + "\": " + value + ", \"model\": " + WORDLEVEL + "}";
    }

    @Test
    void namesTheFieldThatIsWrong() {
        assertEquals("t.json: pre_tokenizer.pattern.Regex is not a regular expression this reader understands: "
                        + "'Unclosed group' near index 9",
                refused(with("pre_tokenizer", "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(unclosed\"}, "
                        + "\"behavior\": \"Isolated\"}")).getMessage());
        assertEquals("t.json: model.merges[1] merges 'c', a token that is not in the vocab",
                refused("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, "
                        + "\"merges\": [\"a b\", \"a c\"]}}").getMessage());
        assertTrue(refused(with("normalizer", "{\"type\": \"Precompiled\"}")).getMessage()
                .startsWith("t.json: normalizer.type is 'Precompiled', a normalizer this reader does not implement"));
        assertTrue(refused(with("decoder", "{\"type\": \"Strip\", \"content\": \"ab\"}")).getMessage()
                .contains("decoder.content is not a single character"));
        assertTrue(refused("{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": \"1\"}}}").getMessage()
                .contains("model.vocab"));
        assertTrue(refused(with("added_tokens", "[{\"id\": 5}]")).getMessage()
                .contains("added_tokens[0].content is not a string"));
    }

    @Test
    void refusesWhatTheLibraryRefuses() {
        refused("{\"model\": " + WORDLEVEL + "} {}");
        refused("[]");
        refused("");
        refused(with("pre_tokenizer", "{\"type\": \"Metaspace\", \"replacement\": \"_\", \"add_prefix_space\": false}"));
        refused("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 3, \"vocab\": [[\"a\", -1.0]]}}");
        refused("{\"model\": {\"type\": \"BPE\", \"dropout\": 0.5, \"vocab\": {}, \"merges\": []}}");
        refused(with("post_processor", "{\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": "
                + "{\"id\": \"<s>\", \"type_id\": 0}}], \"special_tokens\": {}}"));
    }

    @Test
    void escapesUntrustedTextInMessages() {
        MergeLabException e = refused("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, "
                + "\"merges\": [\"a x\\u2028y\\n\"]}}");
        assertTrue(e.getMessage().contains("\\u2028"), e.getMessage());
        refused("{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"\\ud800\": 0}, \"unk_token\": \"a\"}}");
    }

    @Test
    void encodeErrorsAreInputErrors() {
        Tokenizer t = Tokenizer.fromJson(("{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}, "
                + "\"unk_token\": \"<unk>\"}}").getBytes(StandardCharsets.UTF_8), "t.json");
        assertArrayEquals(new int[] {0}, t.encode("a", true));
        MergeLabException e = assertThrows(MergeLabException.class, () -> t.encode("b", true));
        FuzzProperty.checkInputError(e, "encode");
    }

    @Test
    void readsFilesWithCaps(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.json");
        MergeLabException e = assertThrows(MergeLabException.class, () -> Tokenizer.load(missing));
        assertTrue(e.getMessage().contains("nope.json is missing"), e.getMessage());
        Path big = dir.resolve("big.json");
        try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(TokenizerJson.MAX_BYTES + 1);
        }
        e = assertThrows(MergeLabException.class, () -> Tokenizer.load(big));
        assertTrue(e.getMessage().contains("over the"), e.getMessage());
        assertFalse(Files.size(big) < TokenizerJson.MAX_BYTES);
    }

    @Test
    void lossyUtf8LikeRust() {
        // One U+FFFD per maximal ill-formed subpart (Rust's String::from_utf8_lossy).
        assertEquals("\uFFFDa", Utf8.decodeLossy(bytes(0xF0, 0x9F, 0x98, 'a'), 4));
        assertEquals("\uFFFD\uFFFD", Utf8.decodeLossy(bytes(0xE0, 0x80), 2));
        assertEquals("\uFFFD\uFFFD", Utf8.decodeLossy(bytes(0xC0, 0x80), 2));
        assertEquals("\uFFFD\uFFFD\uFFFD", Utf8.decodeLossy(bytes(0xED, 0xA0, 0x80), 3));
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD", Utf8.decodeLossy(bytes(0xF4, 0x90, 0x80, 0x80), 4));
        assertEquals("\uD83D\uDE00", Utf8.decodeLossy(bytes(0xF0, 0x9F, 0x98, 0x80), 4));
        assertTrue(Utf8.isValid(bytes(0xEF, 0xBF, 0xBD), 3));
        assertFalse(Utf8.isValid(bytes(0xFF), 1));
    }

    @Test
    void regexClassesFollowOniguruma() {
        assertEquals("\\p{IsWhite_Space}+(?!\\P{IsWhite_Space})", RustRegex.translate("\\s+(?!\\S)", RustRegex.ONIG_WORD));
        assertEquals("[^\\p{IsWhite_Space}\\p{L}]", RustRegex.translate("[^\\s\\p{L}]", RustRegex.ONIG_WORD));
        assertEquals("[0-9a-fA-F]+", RustRegex.translate("\\h+", RustRegex.ONIG_WORD));
        assertEquals("[\\]a]", RustRegex.translate("[]a]", RustRegex.ONIG_WORD));
        assertEquals("\\\\s", RustRegex.translate("\\\\s", RustRegex.ONIG_WORD));
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }
}
