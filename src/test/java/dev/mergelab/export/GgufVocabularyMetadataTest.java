package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufArray;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufValueType;
import dev.mergelab.format.gguf.GgufWriter;
import dev.mergelab.model.gguf.GgufVocabulary;
import dev.mergelab.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GgufVocabulary} on small hand-written GGUF vocabularies: SentencePiece merges follow the scores, byte fallback,
 * the space prefix, added tokens from control and user-defined types, holes, the post-processor from the add flags,
 * tokenizer_config.json, every pre-tokenizer name llama.cpp's converter can write, and malformed metadata as one line.
 */
class GgufVocabularyMetadataTest {

    @TempDir
    Path tmp;

    private int files;

    private Path rebuild(Map<String, GgufValue> meta) throws Exception {
        Path gguf = tmp.resolve("v" + (++files) + ".gguf");
        GgufWriter.write(gguf, meta, List.of(), List.of());
        Path dir = tmp.resolve("out" + files);
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufVocabulary.write(f, dir);
        }
        return dir;
    }

    private static GgufValue strings(String... s) {
        return GgufValue.ofArray(GgufArray.ofStrings(s));
    }

    private static GgufValue ints(long... v) {
        return GgufValue.ofArray(GgufArray.ofIntegers(GgufValueType.INT32, v));
    }

    /** A SentencePiece vocabulary: unk, bos, eos, two bytes, ▁ a b c, ab, bc, ▁a, a user-defined and a control token. */
    private static Map<String, GgufValue> spm(float ab, float bc) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("llama.context_length", GgufValue.ofU32(4096));
        m.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString("default"));
        m.put("tokenizer.ggml.tokens", strings("<unk>", "<s>", "</s>", "<0xC3>", "<0xA9>", "\u2581", "a", "b", "c", "ab", "bc",
                "\u2581a", "<tool>", "<|im_end|>"));
        m.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(0, 0, 0, 0, 0, -1, -1, -1, -1, ab, bc, -3, 0, 0)));
        m.put("tokenizer.ggml.token_type", ints(2, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, 1, 4, 3));
        m.put("tokenizer.ggml.unknown_token_id", GgufValue.ofU32(0));
        m.put("tokenizer.chat_template", GgufValue.ofString("{{ messages }}"));
        return m;
    }

    @Test
    void sentencePieceMergesFollowTheScores() throws Exception {
        Tokenizer abFirst = Tokenizer.load(rebuild(spm(-1.5f, -2f)).resolve("tokenizer.json"));
        Tokenizer bcFirst = Tokenizer.load(rebuild(spm(-2f, -1.5f)).resolve("tokenizer.json"));
        // "▁abc": ab before bc gives ▁ ab c; bc before ab gives ▁a bc (▁a, at -3, after both)
        assertArrayEquals(new int[] {5, 9, 8}, abFirst.encode("abc", false));
        assertArrayEquals(new int[] {11, 10}, bcFirst.encode("abc", false));
        JsonNode merges = new ObjectMapper().readTree(tmp.resolve("out1/tokenizer.json").toFile()).get("model").get("merges");
        assertEquals("[[\"a\",\"b\"],[\"b\",\"c\"],[\"▁\",\"a\"]]", merges.toString());
        // byte fallback, BOS by default (llama.cpp's SentencePiece default), the space prefix stripped again on decode
        assertArrayEquals(new int[] {1, 5, 3, 4}, abFirst.encode("é", true));
        assertEquals("é", abFirst.decode(new int[] {1, 5, 3, 4}, true));
        assertEquals("abc", abFirst.decode(abFirst.encode("abc", true), true));
        // unknown characters fuse into <unk>
        assertArrayEquals(new int[] {5, 0}, abFirst.encode("xy", false));
        // user-defined: an added, non-special token; control: special, skipped when decoding without specials
        assertArrayEquals(new int[] {11, 12, 13}, abFirst.encode("a<tool><|im_end|>", false));
        assertEquals("a<tool>", abFirst.decode(new int[] {11, 12, 13}, true));
        assertEquals("a<tool><|im_end|>", abFirst.decode(new int[] {11, 12, 13}, false));
    }

    @Test
    void withoutTheSpacePrefixNothingIsPutInFront() throws Exception {
        Map<String, GgufValue> m = spm(-1.5f, -2f);
        m.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(false));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false));
        Tokenizer t = Tokenizer.load(rebuild(m).resolve("tokenizer.json"));
        assertArrayEquals(new int[] {9, 8}, t.encode("abc", true));
        assertArrayEquals(new int[] {9, 11}, t.encode("ab a", true));
        assertEquals("ab a", t.decode(new int[] {9, 11}, false));
    }

    @Test
    void tokenizerConfigCarriesSpecialsFlagsTemplatesAndContext() throws Exception {
        Map<String, GgufValue> m = spm(-1.5f, -2f);
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofU32(1));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofU32(13));
        m.put("tokenizer.ggml.padding_token_id", GgufValue.ofU32(2));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(true));
        m.put("tokenizer.chat_template.tool_use", GgufValue.ofString("{{ tools }}"));
        Path dir = rebuild(m);
        JsonNode c = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("<s>", c.get("bos_token").asText());
        assertEquals("<|im_end|>", c.get("eos_token").asText());
        assertEquals("<unk>", c.get("unk_token").asText());
        assertEquals("</s>", c.get("pad_token").asText());
        assertTrue(c.get("add_bos_token").asBoolean());
        assertTrue(c.get("add_eos_token").asBoolean());
        assertEquals(4096, c.get("model_max_length").asInt());
        assertFalse(c.get("clean_up_tokenization_spaces").asBoolean());
        assertEquals("[{\"name\":\"default\",\"template\":\"{{ messages }}\"},{\"name\":\"tool_use\",\"template\":\"{{ tools }}\"}]",
                c.get("chat_template").toString());
        Tokenizer t = Tokenizer.load(dir.resolve("tokenizer.json"));
        assertArrayEquals(new int[] {1, 5, 9, 8, 13}, t.encode("abc", true));
    }

    /** GPT-2's byte → character map (bytes_to_unicode): the byte-level alphabet. */
    private static String[] byteAlphabet() {
        String[] out = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = printable ? String.valueOf((char) b) : String.valueOf((char) (256 + n++));
        }
        return out;
    }

    /**
     * A byte-level vocabulary: the 256 byte characters, "ab", "Ġab", a filler (an id the tokenizer.json does not use,
     * as the export writes it), two control tokens, a user-defined one, a filler, a control token and a last filler.
     */
    private static Map<String, GgufValue> gpt2(String pre) {
        List<String> tokens = new ArrayList<>(List.of(byteAlphabet()));
        tokens.add("ab");
        tokens.add("\u0120ab");
        tokens.add("[PAD258]");
        tokens.add("<|begin|>");
        tokens.add("<|end|>");
        tokens.add("<think>");
        tokens.add("[PAD262]");
        tokens.add("<|x|>");
        tokens.add("[PAD264]");
        long[] types = new long[tokens.size()];
        java.util.Arrays.fill(types, 1);
        types[258] = 5;
        types[259] = 3;
        types[260] = 3;
        types[261] = 4;
        types[262] = 5;
        types[263] = 3;
        types[264] = 5;
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        if (pre != null) {
            m.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
        }
        m.put("tokenizer.ggml.tokens", strings(tokens.toArray(String[]::new)));
        m.put("tokenizer.ggml.token_type", ints(types));
        m.put("tokenizer.ggml.merges", strings("a b", "\u0120 ab"));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofU32(259));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofU32(260));
        return m;
    }

    @Test
    void byteLevelVocabularyWithHolesAndAddedTokens() throws Exception {
        Path qwen = rebuild(gpt2("qwen2"));
        JsonNode root = new ObjectMapper().readTree(qwen.resolve("tokenizer.json").toFile());
        assertEquals("NFC", root.get("normalizer").get("type").asText());
        // fillers before an added token are added tokens too: the Rust library numbers added tokens from the vocabulary's
        // size on, whatever their ids say; the last filler is left out
        assertEquals(258, root.get("model").get("vocab").size(), "the byte alphabet and the two merged tokens");
        assertEquals("ByteLevel", root.get("post_processor").get("type").asText());
        Tokenizer t = Tokenizer.load(qwen.resolve("tokenizer.json"));
        assertArrayEquals(new int[] {257, 256}, t.encode(" abab", true), "qwen2 adds no BOS by default");
        assertArrayEquals(new int[] {259, 'x', 261, 257, 260}, t.encode("<|begin|>x<think> ab<|end|>", false));
        assertEquals("x<think> ab", t.decode(new int[] {259, 'x', 261, 257, 260}, true));
        assertArrayEquals(new int[] {263}, t.encode("<|x|>", false), "the filler between added tokens keeps the ids after it");
        assertEquals("[258, 259, 260, 261, 262, 263]", root.get("added_tokens").findValues("id").toString());
        assertFalse(new ObjectMapper().readTree(qwen.resolve("tokenizer_config.json").toFile()).get("clean_up_tokenization_spaces").asBoolean());

        Path llama3 = rebuild(gpt2("llama-bpe"));
        Tokenizer l = Tokenizer.load(llama3.resolve("tokenizer.json"));
        assertArrayEquals(new int[] {259, 257}, l.encode(" ab", true), "llama-bpe adds BOS by default");
        JsonNode c = new ObjectMapper().readTree(llama3.resolve("tokenizer_config.json").toFile());
        assertTrue(c.get("add_bos_token").asBoolean());
        assertTrue(c.get("clean_up_tokenization_spaces").asBoolean());
        assertTrue(new ObjectMapper().readTree(llama3.resolve("tokenizer.json").toFile()).get("model").get("ignore_merges").asBoolean());

        // no pre name: llama.cpp's "default" expressions
        Path noPre = rebuild(gpt2(null));
        assertEquals(5, new ObjectMapper().readTree(noPre.resolve("tokenizer.json").toFile()).get("pre_tokenizer").get("pretokenizers").size());
        assertArrayEquals(new int[] {257}, Tokenizer.load(noPre.resolve("tokenizer.json")).encode(" ab", true));

        Map<String, GgufValue> eos = gpt2("gpt-2");
        eos.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(true));
        Tokenizer g = Tokenizer.load(rebuild(eos).resolve("tokenizer.json"));
        assertArrayEquals(new int[] {257, 260}, g.encode(" ab", true));
    }

    /** The names in bpe-pre.tsv (what the export can write) that have no Hugging Face form here, and why (GgufVocabPre). */
    private static final Set<String> WITHOUT_FORM = Set.of("kimi-k2", "afmoe", "bailingmoe", "bailingmoe2", "youtu",
            "granite-embed-multi-97m", "granite-embed-multi-311m", "sarvam-moe",
            // WordPiece vocabularies (tokenizer.ggml.model "bert"), never a gpt2 one
            "bert-bge", "bert-bge-large", "jina-v2-en");

    @Test
    void everyPreNameTheExportWritesLoadsOrIsRefusedInOneLine() throws Exception {
        Set<String> names = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("src/main/resources/dev/mergelab/export/gguf/bpe-pre.tsv"))) {
            if (!line.startsWith("#") && !line.startsWith("chktxt") && line.contains("\t")) {
                names.add(line.split("\t")[1]);
            }
        }
        assertTrue(names.size() > 80, names.size() + " names");
        Set<String> refused = new TreeSet<>();
        String text = "Hello world 12345 ab, I'M ab\n\n  x\t3.14 日本語 \u0645\u0631\u062d\u0628\u0627 ok!!";
        Map<String, int[]> ours = new LinkedHashMap<>();
        List<String> specs = new ArrayList<>();
        for (String name : names) {
            try {
                Path file = rebuild(gpt2(name)).resolve("tokenizer.json");
                Tokenizer t = Tokenizer.load(file);
                assertEquals(text, t.decode(t.encode(text, false), false), name);
                ours.put(name, t.encode(text, true));
                specs.add(name + "=" + file);
            } catch (MergeLabException e) {
                assertTrue(e.getMessage().contains("\"" + name + "\""), e.getMessage());
                refused.add(name);
            }
        }
        assertEquals(new TreeSet<>(WITHOUT_FORM.stream().filter(names::contains).toList()), refused);
        // the Rust library loads every file and splits the text as MergeLab's tokenizer does
        if (Files.isDirectory(GgufVocabularyRoundTripTest.NODE_MODULES.resolve("tokenizers"))) {
            Path corpus = tmp.resolve("corpus.json");
            new ObjectMapper().writeValue(corpus.toFile(), List.of(text));
            Path out = tmp.resolve("library.json");
            List<String> cmd = new ArrayList<>(List.of("node", "scripts/tokenizer-ref/make-fixtures.js", corpus.toString(), out.toString()));
            cmd.addAll(specs);
            LlamaCppPeer.run(cmd);
            JsonNode lib = new ObjectMapper().readTree(out.toFile()).get("tokenizers");
            ours.forEach((name, ids) -> {
                JsonNode r = lib.get(name);
                assertFalse(r.has("loadError"), () -> name + ": " + r.get("loadError"));
                assertEquals(java.util.Arrays.toString(ids), r.get("cases").get(0).get("ids").toString().replace(",", ", "), name);
            });
        }
    }

    private void refused(Map<String, GgufValue> meta, String... fragments) {
        MergeLabException e = assertThrows(MergeLabException.class, () -> rebuild(meta));
        assertFalse(e.oneLine().contains("\n"));
        assertTrue(e.getMessage().contains(".gguf"), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "\"" + f + "\" not in: " + e.getMessage());
        }
    }

    private Map<String, GgufValue> with(Map<String, GgufValue> m, Consumer<Map<String, GgufValue>> change) {
        change.accept(m);
        return m;
    }

    @Test
    void malformedMetadataIsOneLine() {
        refused(with(spm(-1, -2), m -> m.remove("tokenizer.ggml.model")), "no tokenizer.ggml.model");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.model", GgufValue.ofString("bert"))), "\"bert\"");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.model", GgufValue.ofU32(1))), "tokenizer.ggml.model", "not a string");
        refused(with(gpt2("qwen2"), m -> m.put("tokenizer.ggml.merges", ints(1, 2))), "tokenizer.ggml.merges holds");
        refused(with(gpt2("qwen2"), m -> m.put("tokenizer.ggml.merges", strings("ab"))), "merges[0]", "not two tokens");
        refused(with(gpt2("qwen2"), m -> m.put("tokenizer.ggml.merges", strings("a b", "b zz"))), "merges[1]", "\"zz\"");
        refused(with(gpt2("qwen2"), m -> m.remove("tokenizer.ggml.merges")), "tokenizer.ggml.merges is missing");
        refused(with(gpt2("nonesuch"), m -> { }), "\"nonesuch\"");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.token_type", ints(1, 1))), "token_type has 2 items for 14 tokens");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.token_type", ints(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9))),
                "token_type[13] is 9");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(1, 2)))),
                "scores has 2 items");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.eos_token_id", GgufValue.ofU32(14))), "eos_token_id is 14, outside the 14 tokens");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.tokens", ints(1, 2))), "tokenizer.ggml.tokens holds");
        refused(with(spm(-1, -2), m -> m.put("tokenizer.ggml.tokens", strings())), "missing or empty");
    }
}
