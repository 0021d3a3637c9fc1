package dev.mergelab.export;

import dev.mergelab.model.gguf.GgufArchitecture;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufArray;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The {@code tokenizer.*} keys convert_hf_to_gguf.py writes for a model folder, by the strategies the architecture
 * lists, tried in the converter's order:
 * <ul>
 * <li>{@code llama_hf} (LlamaHfVocab): a SentencePiece-style BPE tokenizer.json (byte fallback, a Sequence decoder):
 * model {@code llama}, pre {@code default}, tokens with types byte/control/normal and, unlike the converter's -1000
 * placeholder, scores that make llama.cpp merge in the tokenizer's order ({@link #mergeRanks});</li>
 * <li>{@code gpt2} (get_vocab_base): byte-level BPE: model {@code gpt2}, the pre-tokenizer named by the SHA-256 of
 * the token ids of the converter's probe text, tokens, types, merges.</li>
 * </ul>
 * Both end with {@link SpecialVocab}. A folder with {@code tokenizer.model} would be read by SentencePiece first
 * in the converter; MergeLab reads its tokenizer.json instead and says so.
 */
final class VocabExport {

    static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private final Path dir;
    private final JsonNode tokenizer;
    private final ObjectNode tokenizerConfig;
    private final ObjectNode config;

    /** True when tokenizer_config.json was given as text: the folder's chat template files are then not read. */
    private final boolean configGiven;

    private VocabExport(Path dir, JsonNode tokenizer, ObjectNode tokenizerConfig, boolean configGiven, ObjectNode config) {
        this.dir = dir;
        this.configGiven = configGiven;
        this.tokenizer = tokenizer;
        this.tokenizerConfig = tokenizerConfig;
        this.config = config;
    }

    /**
     * Appends the tokenizer keys of the model folder {@code dir} to {@code out}; {@code tokenizerConfig}, when not null,
     * is the tokenizer_config.json text read instead of the folder's (and then its chat_template files are ignored).
     */
    static void write(Path dir, String tokenizerConfig, ObjectNode config, GgufArchitecture spec, Map<String, GgufValue> out,
            Consumer<String> warnings) {
        if (Files.isRegularFile(dir.resolve("tokenizer.model"))) {
            warnings.accept(dir.resolve("tokenizer.model") + ": llama.cpp's converter would read the vocabulary from this "
                    + "SentencePiece file; MergeLab reads tokenizer.json (same tokens, scores from its merges)");
        }
        Path tj = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tj)) {
            throw MergeLabException.input(dir + " has no tokenizer.json to export", null);
        }
        ObjectNode tc = tokenizerConfig == null ? readObject(dir.resolve("tokenizer_config.json")) : parseObject(tokenizerConfig);
        VocabExport v = new VocabExport(dir, readJson(tj), tc, tokenizerConfig != null, config);
        if (v.tokenizerConfig != null && v.tokenizerConfig.has("add_prefix_space") && !v.tokenizerConfig.get("add_prefix_space").isNull()
                && spec.vocab().contains("llama_hf")) {
            out.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(v.tokenizerConfig.get("add_prefix_space").asBoolean()));
        }
        for (String strategy : spec.vocab()) {
            boolean done = switch (strategy) {
                case "llama_hf" -> v.llamaHf(out, spec.sentencePieceReader());
                case "gpt2" -> v.gpt2(out);
                default -> throw new IllegalStateException("unknown vocabulary strategy " + strategy);
            };
            if (done) {
                v.modelSpecials(spec, strategy, out);
                return;
            }
        }
        throw MergeLabException.input(tj + ": no GGUF vocabulary strategy of " + spec.ggufName() + " fits this tokenizer", null);
    }

    /**
     * What a model class adds after its vocabulary (GemmaModel.set_vocab): a second SpecialVocab's ids of its own
     * types, the files' ids first, then the fixed ones (of which only eot has a writer), and add_space_prefix, which
     * the model classes write only after a SentencePiece vocabulary (Gemma3Model.set_vocab: not after gpt2).
     */
    private void modelSpecials(GgufArchitecture spec, String strategy, Map<String, GgufValue> out) {
        spec.extraSpecialIds().forEach((typ, fixed) -> {
            Integer id = null;
            JsonNode e = tokenizerConfig == null ? null : tokenizerConfig.get(typ + "_token");
            String content = e == null ? null : e.isTextual() ? e.asText() : e.path("content").asText(null);
            for (JsonNode a : tokenizer.path("added_tokens")) {
                if (content != null && content.equals(a.path("content").asText(null))) {
                    id = a.get("id").asInt();
                    break;
                }
            }
            if (id == null && config.path(typ + "_token_id").isIntegralNumber()) {
                id = config.get(typ + "_token_id").asInt();
            }
            out.put("tokenizer.ggml." + typ + "_token_id", GgufValue.ofU32(id != null ? id : fixed));
        });
        if (spec.addSpacePrefix() != null && strategy.equals("llama_hf")) {
            out.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(spec.addSpacePrefix()));
        }
    }

    /**
     * How many embedding rows Gemma3Model.modify_tensors keeps: with tokenizer.model, SentencePiece's vocabulary padded
     * to the config's vocab_size (that size); without, tokenizer.json's vocabulary plus its added tokens counted again
     * (as the converter counts them, so usually no row is dropped). -1: no limit.
     */
    static long embeddingRowLimit(Path dir, ObjectNode config) {
        if (Files.isRegularFile(dir.resolve("tokenizer.model"))) {
            JsonNode vs = config.get("vocab_size");
            return vs != null && vs.canConvertToLong() ? vs.asLong() : -1;
        }
        JsonNode t = readJson(dir.resolve("tokenizer.json"));
        return t.path("model").path("vocab").size() + t.path("added_tokens").size();
    }

    private static JsonNode readJson(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw MergeLabException.input(p + ": " + e.getMessage());
        }
    }

    private static ObjectNode parseObject(String json) {
        try {
            return new ObjectMapper().readTree(json) instanceof ObjectNode o ? o : null;
        } catch (IOException e) {
            throw MergeLabException.input("tokenizer_config.json: " + e.getMessage());
        }
    }

    private static ObjectNode readObject(Path p) {
        return Files.isRegularFile(p) && readJson(p) instanceof ObjectNode o ? o : null;
    }

    private String chatTemplateFile() {
        if (configGiven) {
            return null;
        }
        try {
            Path j = dir.resolve("chat_template.jinja");
            if (Files.isRegularFile(j)) {
                return Files.readString(j);
            }
            Path js = dir.resolve("chat_template.json");
            if (Files.isRegularFile(js)) {
                JsonNode t = readJson(js).get("chat_template");
                return t != null && t.isTextual() ? t.asText() : null;
            }
            return null;
        } catch (IOException e) {
            throw MergeLabException.input(dir + ": " + e.getMessage());
        }
    }

    /** The special tokens of the HF tokenizer: tokenizer_config's bos/eos/unk/sep/pad/cls/mask and additional ones. */
    private Set<String> specialTokens() {
        Set<String> s = new HashSet<>();
        if (tokenizerConfig == null) {
            return s;
        }
        for (String typ : List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask")) {
            JsonNode e = tokenizerConfig.get(typ + "_token");
            String c = e == null ? null : e.isTextual() ? e.asText() : e.path("content").asText(null);
            if (c != null) {
                s.add(c);
            }
        }
        tokenizerConfig.path("additional_special_tokens").forEach(e -> s.add(e.isTextual() ? e.asText() : e.path("content").asText()));
        return s;
    }

    private boolean llamaHf(Map<String, GgufValue> out, boolean sentencePieceReader) {
        JsonNode model = tokenizer.path("model");
        boolean bpe = model.path("type").asText().equals("BPE");
        if (bpe && model.path("ignore_merges").asBoolean(false) && !model.path("byte_fallback").asBoolean(true)) {
            return false; // Llama 3: the converter goes on to gpt2
        }
        if (!bpe || !model.path("byte_fallback").asBoolean(false) || !tokenizer.path("decoder").path("type").asText().equals("Sequence")) {
            return false;
        }
        Map<Integer, String> byId = new HashMap<>();
        model.path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        int base = byId.size();
        Set<String> specials = specialTokens();
        Set<Integer> specialIds = new HashSet<>();
        Map<String, Integer> addedAbove = new java.util.TreeMap<>();
        for (JsonNode a : tokenizer.path("added_tokens")) {
            int id = a.get("id").asInt();
            String c = a.get("content").asText();
            byId.putIfAbsent(id, c);
            if (specials.contains(c) || sentencePieceReader && id >= base && a.path("special").asBoolean(false)) {
                // SentencePiece readers (Gemma, Phi-3) make every added token marked special a control token
                specials.add(c);
                specialIds.add(id);
            }
            if (id >= base) {
                addedAbove.put(c, id);
            }
        }
        List<Map.Entry<String, Integer>> above = addedAbove.entrySet().stream().sorted(Map.Entry.comparingByValue()).toList();
        int n = base + above.size();
        JsonNode vs = config.get("vocab_size");
        if (sentencePieceReader && vs != null && vs.canConvertToInt() && vs.asInt() > n) {
            n = vs.asInt(); // _create_vocab_sentencepiece: [PAD<id>] tokens, score -10000, unused, up to vocab_size
        }
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        Map<String, Integer> mergeRank = mergeRanks(model.path("merges"));
        for (int i = 0; i < base; i++) {
            String t = byId.get(i);
            if (t == null) {
                throw MergeLabException.input(dir + "/tokenizer.json: no token has id " + i);
            }
            tokens[i] = t;
            Integer rank = mergeRank.get(t);
            scores[i] = rank != null ? -rank : -mergeRank.size();
            types[i] = BYTE_TOKEN.matcher(t).matches() ? BYTE : specialIds.contains(i) ? CONTROL : NORMAL;
        }
        for (int k = 0; k < above.size(); k++) {
            String t = above.get(k).getKey();
            tokens[base + k] = t;
            scores[base + k] = -1000f;
            types[base + k] = specials.contains(t) ? CONTROL : USER_DEFINED;
        }
        for (int i = base + above.size(); i < n; i++) {
            tokens[i] = "[PAD" + i + "]";
            scores[i] = -10000f;
            types[i] = UNUSED;
        }
        out.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        out.put("tokenizer.ggml.pre", GgufValue.ofString("default"));
        out.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        out.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(scores)));
        out.put("tokenizer.ggml.token_type", SpecialVocab.int32s(types));
        SpecialVocab.read(tokenizer, tokenizerConfig, config, chatTemplateFile(), false, n).writeTo(out);
        return true;
    }

    /**
     * The rank of the merge that first makes each token. llama.cpp tokenizes a "llama" vocabulary as SentencePiece
     * does, joining the neighbours whose joined token scores highest; a token's score of minus its merge rank makes
     * that the Hugging Face BPE's order (the lowest-ranked merge first). The converter writes -1000 for every token
     * here (LlamaHfVocab.get_token_score, a placeholder), with which llama.cpp splits text differently from the
     * tokenizer ("▁▁leading" instead of "▁" "▁leading"); tokens no merge makes rank after all merges.
     */
    private static Map<String, Integer> mergeRanks(JsonNode merges) {
        Map<String, Integer> rank = new HashMap<>();
        int r = 0;
        for (JsonNode m : merges) {
            String joined;
            if (m.isTextual()) {
                String[] ab = m.asText().split(" ", 2);
                joined = ab.length == 2 ? ab[0] + ab[1] : m.asText();
            } else {
                joined = m.get(0).asText() + m.get(1).asText();
            }
            rank.putIfAbsent(joined, r++);
        }
        return rank;
    }

    private boolean gpt2(Map<String, GgufValue> out) {
        Tokenizer tok = Tokenizer.fromJson(tokenizer.toString().getBytes(StandardCharsets.UTF_8), dir.resolve("tokenizer.json").toString());
        Map<Integer, String> byId = new HashMap<>();
        tokenizer.path("model").path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        Map<Integer, JsonNode> added = new HashMap<>();
        for (JsonNode a : tokenizer.path("added_tokens")) {
            byId.put(a.get("id").asInt(), a.get("content").asText());
            added.put(a.get("id").asInt(), a);
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        JsonNode vs = config.get("vocab_size");
        int n = vs != null && vs.canConvertToInt() ? vs.asInt() : byId.size();
        if (maxId >= n) {
            throw MergeLabException.input(dir + ": the tokenizer has id " + maxId + " but vocab_size is " + n);
        }
        String pre = preTokenizer(tok);
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (added.containsKey(i)) {
                JsonNode a = added.get(i);
                if (!a.path("normalized").asBoolean(false)) {
                    t = tok.decode(tok.encode(t, false), false);
                }
                if (a.path("special").asBoolean(false) || looksSpecial(t)) {
                    types[i] = CONTROL;
                } else {
                    t = t.replace("\u2581", " ");
                    types[i] = USER_DEFINED;
                }
                tokens[i] = t;
            } else {
                tokens[i] = t;
                types[i] = NORMAL;
            }
        }
        out.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        out.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
        out.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        out.put("tokenizer.ggml.token_type", SpecialVocab.int32s(types));
        SpecialVocab.read(tokenizer, tokenizerConfig, config, chatTemplateFile(), true, null).writeTo(out);
        return true;
    }

    /** TextModel.does_token_look_special. */
    private static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** get_vocab_base_pre: the name llama.cpp's converter chose for the SHA-256 of str(encode(probe text)). */
    static String preTokenizer(Tokenizer tok) {
        Table table = Table.load();
        int[] ids = tok.encode(table.probe, true);
        String hash = sha256(pythonList(ids));
        String name = table.names.get(hash);
        if (name == null) {
            throw MergeLabException.input("the BPE pre-tokenizer is not one llama.cpp knows (chkhsh " + hash + ")",
                    "llama.cpp's converter refuses it too: its get_vocab_base_pre lists the known ones");
        }
        return name;
    }

    static String pythonList(int[] ids) {
        return Arrays.toString(ids);
    }

    private static String sha256(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** bpe-pre.tsv: the probe text (a JSON string) and hash → name lines (scripts/gguf-ref/bpe-pre-table.sh). */
    private record Table(String probe, Map<String, String> names) {
        static Table load() {
            try (InputStream in = VocabExport.class.getResourceAsStream("/dev/mergelab/export/gguf/bpe-pre.tsv")) {
                String probe = null;
                Map<String, String> names = new HashMap<>();
                for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.startsWith("#") || line.isBlank()) {
                        continue;
                    }
                    String[] kv = line.split("\t", 2);
                    if (kv[0].equals("chktxt")) {
                        probe = new ObjectMapper().readValue(kv[1], String.class);
                    } else {
                        names.put(kv[0], kv[1]); // the converter's if-chain lets a later name win
                    }
                }
                return new Table(probe, names);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read bpe-pre.tsv", e);
            }
        }
    }
}
