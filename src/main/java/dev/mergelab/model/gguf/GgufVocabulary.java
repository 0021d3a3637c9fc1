package dev.mergelab.model.gguf;

import static dev.mergelab.model.gguf.GgufVocabKeys.CONTROL;
import static dev.mergelab.model.gguf.GgufVocabKeys.UNKNOWN;
import static dev.mergelab.model.gguf.GgufVocabKeys.UNUSED;
import static dev.mergelab.model.gguf.GgufVocabKeys.USER_DEFINED;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face tokenizer (tokenizer.json and tokenizer_config.json) rebuilt from a GGUF file's
 * {@code tokenizer.ggml.*} metadata: the inverse of what llama.cpp's converter (and MergeLab's {@code export gguf})
 * writes, in the form the model family's own tokenizer.json has.
 * <ul>
 * <li>{@code gpt2}: byte-level BPE: the tokens and merges, the pre-tokenizer the {@code tokenizer.ggml.pre} name stands
 * for ({@link GgufVocabPre}), ByteLevel decoder, and a TemplateProcessing post-processor when BOS or EOS is added
 * (Llama 3), else a ByteLevel one (Qwen).</li>
 * <li>{@code llama}: SentencePiece pieces and scores as the BPE-with-byte-fallback tokenizer.json Transformers makes of
 * them (Llama 2, Mistral; Gemma without the space prefix): merges from the scores ({@link GgufVocabMerges}) unless
 * the GGUF lists merges, a normalizer that turns spaces into "▁" (and puts one in front when
 * {@code add_space_prefix}), decoders Replace, ByteFallback, Fuse (and Strip of that first space).</li>
 * </ul>
 * Control and user-defined tokens become added tokens (special and not); those at the end of the vocabulary only
 * there, the others in the model's vocabulary too, as in the families' files.
 *
 * <p>What a GGUF does not record comes from the family or is lost (the tests name each case):
 * <ul>
 * <li>the normalizer: Qwen's NFC is restored from the pre name ({@link GgufVocabPre}), any other is not;</li>
 * <li>{@code ignore_merges}: set from llama.cpp's list of pre names; a tokenizer whose probe ids hash to another name
 * (npm's older Llama 3 file, without BOS, reads as smaug-bpe) comes back as llama.cpp reads it;</li>
 * <li>non-special added tokens inside the base vocabulary, and special ones that tokenizer_config.json does not name,
 * which the converter's LlamaHfVocab and MergeLab's export write as normal tokens (Gemma's "\n", "<eos>", ...), come
 * back as plain vocabulary entries; added tokens that look special ({@code <|...|>}) are control tokens in the GGUF and
 * come back special;</li>
 * <li>the {@code normalized}, {@code lstrip}, {@code rstrip} and {@code single_word} flags of added tokens (false);</li>
 * <li>the merge order of a SentencePiece vocabulary whose scores do not carry it: the converter's LlamaHfVocab writes
 * -1000 for every token, and the merges then follow the pieces' ids;</li>
 * <li>a token text that occurs twice (a JSON vocabulary holds it once), and the tokenizer_config fields other than
 * the special tokens, add flags, space clean-up, chat templates and context length.</li>
 * </ul>
 */
public final class GgufVocabulary {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String SPACE = "\u2581";

    private GgufVocabulary() {
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} for {@code gguf}'s vocabulary into {@code dir}. */
    public static void write(GgufFile gguf, Path dir) {
        GgufVocabKeys keys = new GgufVocabKeys(gguf);
        String model = keys.string("tokenizer.ggml.model");
        if (model == null) {
            throw MergeLabException.input(gguf.path() + " has no tokenizer.ggml.model: it carries no vocabulary to rebuild",
                    "take tokenizer.json from the original model");
        }
        boolean spm = switch (model) {
            case "gpt2" -> false;
            case "llama" -> true;
            default -> throw MergeLabException.input(gguf.path() + ": tokenizer.ggml.model \"" + model
                    + "\" has no Hugging Face tokenizer.json form here (gpt2 and llama do)", "take tokenizer.json from the original model");
        };
        String[] tokens = keys.tokens();
        int n = tokens.length;
        int[] types = keys.tokenTypes(n);
        Specials specials = Specials.read(keys, n, spm);
        // llama.cpp reads a gpt2 vocabulary without a pre name as "default" (and warns)
        String pre = spm ? null : java.util.Objects.requireNonNullElse(keys.string("tokenizer.ggml.pre"), "default");
        GgufVocabPre preTokenizer = spm ? null : GgufVocabPre.named(pre);
        if (!spm && preTokenizer == null) {
            throw MergeLabException.input(gguf.path() + ": tokenizer.ggml.pre \"" + pre + "\" has no Hugging Face pre-tokenizer here",
                    "take tokenizer.json from the original model");
        }
        boolean addBos = bool(keys.bool("tokenizer.ggml.add_bos_token"), spm || GgufVocabPre.addsBosByDefault(pre));
        boolean addEos = bool(keys.bool("tokenizer.ggml.add_eos_token"), false);

        Layout layout = Layout.of(tokens, types, spm);
        ObjectNode root = JSON.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.set("added_tokens", addedTokens(tokens, types, layout));
        if (spm) {
            sentencePiece(root, keys, tokens, layout, specials, addBos, addEos);
        } else {
            byteLevel(root, keys, tokens, layout, specials, addBos, addEos, preTokenizer);
        }
        ObjectNode config = tokenizerConfig(keys, gguf, tokens, specials, addBos, addEos, !spm && GgufVocabPre.cleansSpaces(pre));
        try {
            Files.createDirectories(dir);
            ObjectMapper mapper = new ObjectMapper();
            Files.write(dir.resolve("tokenizer.json"), mapper.writeValueAsBytes(root));
            Files.write(dir.resolve("tokenizer_config.json"), mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
        } catch (IOException e) {
            throw MergeLabException.input(dir + ": cannot write the tokenizer: " + e.getMessage());
        }
    }

    /**
     * A llama (SentencePiece) vocabulary as Transformers' Llama/Mistral tokenizer.json: spaces become "▁" (with one in
     * front when {@code add_space_prefix}, llama.cpp's default), BPE with byte fallback over the pieces, merges listed in
     * the GGUF or made from the scores, decoders undoing the "▁" (and the first space).
     */
    private static void sentencePiece(ObjectNode root, GgufVocabKeys keys, String[] tokens, Layout layout, Specials specials,
            boolean addBos, boolean addEos) {
        boolean spacePrefix = bool(keys.bool("tokenizer.ggml.add_space_prefix"), true);
        root.set("normalizer", spacePrefix ? sequence("normalizers", prepend(), replace(" ", SPACE)) : replace(" ", SPACE));
        root.putNull("pre_tokenizer");
        root.set("post_processor", template(tokens, specials, addBos, addEos));
        ArrayNode dec = JSON.arrayNode().add(replace(SPACE, " ")).add(type("ByteFallback")).add(type("Fuse"));
        if (spacePrefix) {
            dec.add(type("Strip").put("content", " ").put("start", 1).put("stop", 0));
        }
        root.set("decoder", type("Sequence").set("decoders", dec));
        Integer unk = specials.ids.get("unk");
        ObjectNode bpe = bpeModel(unk == null ? null : tokens[unk], true, false);
        String[] merges = keys.strings("tokenizer.ggml.merges");
        float[] scores = keys.scores(tokens.length);
        fill(bpe, tokens, layout, merges != null ? splitMerges(keys, merges, layout.ids)
                : GgufVocabMerges.fromScores(tokens, scores, layout.inModel, layout.ids));
        root.set("model", bpe);
    }

    /**
     * A gpt2 (byte-level BPE) vocabulary as the family's tokenizer.json: the pre name's normalizer and pre-tokenizer,
     * a TemplateProcessing after the ByteLevel post-processor when BOS or EOS is added, the ByteLevel decoder.
     */
    private static void byteLevel(ObjectNode root, GgufVocabKeys keys, String[] tokens, Layout layout, Specials specials,
            boolean addBos, boolean addEos, GgufVocabPre pre) {
        root.set("normalizer", pre.normalizer() == null ? null : type(pre.normalizer()));
        root.set("pre_tokenizer", byteLevelPre(pre));
        root.set("post_processor", addBos || addEos
                ? type("Sequence").set("processors", JSON.arrayNode().add(byteLevel(true, false, true))
                        .add(template(tokens, specials, addBos, addEos)))
                : byteLevel(false, false, false));
        root.set("decoder", byteLevel(true, true, true));
        ObjectNode bpe = bpeModel(null, false, pre.ignoreMerges());
        String[] merges = keys.strings("tokenizer.ggml.merges");
        if (merges == null) {
            throw keys.error("tokenizer.ggml.merges is missing: a gpt2 vocabulary needs its merges");
        }
        fill(bpe, tokens, layout, splitMerges(keys, merges, layout.ids));
        root.set("model", bpe);
    }

    private static boolean bool(Boolean v, boolean absent) {
        return v != null ? v : absent;
    }

    /** bos/eos/unk/sep/pad/cls/mask ids; for a llama vocabulary without them, llama.cpp's SentencePiece defaults. */
    private record Specials(Map<String, Integer> ids) {
        static final Map<String, String> KEYS = keys();

        private static Map<String, String> keys() {
            Map<String, String> k = new LinkedHashMap<>();
            k.put("bos", "bos_token_id");
            k.put("eos", "eos_token_id");
            k.put("unk", "unknown_token_id");
            k.put("sep", "seperator_token_id");
            k.put("pad", "padding_token_id");
            k.put("cls", "cls_token_id");
            k.put("mask", "mask_token_id");
            return k;
        }

        static Specials read(GgufVocabKeys keys, int n, boolean spm) {
            Map<String, Integer> ids = new LinkedHashMap<>();
            KEYS.forEach((typ, key) -> {
                Integer id = keys.tokenId("tokenizer.ggml." + key, n);
                if (id == null && spm) {
                    id = switch (typ) {
                        case "bos" -> 1;
                        case "eos" -> 2;
                        case "unk" -> 0;
                        default -> null;
                    };
                    id = id != null && id < n ? id : null;
                }
                if (id != null) {
                    ids.put(typ, id);
                }
            });
            return new Specials(ids);
        }
    }

    /**
     * Which tokens the BPE model's vocabulary holds, and which are added tokens. The Rust library ignores the ids of
     * added tokens that are not in the model's vocabulary and numbers them on from the vocabulary's size, so the
     * vocabulary must hold every id below the first of them: all tokens but the run of added tokens (control,
     * user-defined, unknown) and unused {@code [PADn]} fillers at the end, which are added tokens only, as in Qwen's and
     * Llama 3's files (Mistral's and Gemma's keep their added tokens in the vocabulary too). A filler inside that run is
     * an added special token, one after the last added token is left out. A text that occurs twice keeps the id an
     * added token has, else its first id (a JSON object has one entry per text); the Rust library then numbers the
     * added tokens after it one lower, which this cannot avoid.
     */
    private record Layout(boolean[] inModel, boolean[] asAdded, Map<String, Integer> ids) {
        static Layout of(String[] tokens, int[] types, boolean spm) {
            int n = tokens.length;
            boolean[] filler = new boolean[n];
            for (int i = 0; i < n; i++) {
                filler[i] = !spm && types[i] == UNUSED && tokens[i].equals("[PAD" + i + "]");
            }
            int tail = n;
            while (tail > 0 && (added(types[tail - 1]) || filler[tail - 1])) {
                tail--;
            }
            int end = n;
            while (end > tail && filler[end - 1]) {
                end--;
            }
            boolean[] inModel = new boolean[n];
            boolean[] asAdded = new boolean[n];
            Map<String, Integer> ids = new HashMap<>();
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < tail; i++) {
                    if (added(types[i]) == (pass == 0) && !ids.containsKey(tokens[i])) {
                        ids.put(tokens[i], i);
                        inModel[i] = true;
                    }
                }
            }
            for (int i = 0; i < end; i++) {
                asAdded[i] = added(types[i]) || (i >= tail && filler[i]);
            }
            return new Layout(inModel, asAdded, ids);
        }
    }

    private static boolean added(int type) {
        return type == CONTROL || type == USER_DEFINED || type == UNKNOWN;
    }

    private static ArrayNode addedTokens(String[] tokens, int[] types, Layout layout) {
        ArrayNode out = JSON.arrayNode();
        for (int i = 0; i < tokens.length; i++) {
            if (layout.asAdded[i]) {
                out.addObject().put("id", i).put("content", tokens[i]).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", false).put("special", types[i] != USER_DEFINED);
            }
        }
        return out;
    }

    private static ObjectNode bpeModel(String unk, boolean byteFallback, boolean ignoreMerges) {
        ObjectNode m = type("BPE");
        m.putNull("dropout");
        if (unk == null) {
            m.putNull("unk_token");
        } else {
            m.put("unk_token", unk);
        }
        m.putNull("continuing_subword_prefix");
        m.putNull("end_of_word_suffix");
        m.put("fuse_unk", byteFallback);
        m.put("byte_fallback", byteFallback);
        m.put("ignore_merges", ignoreMerges);
        return m;
    }

    private static void fill(ObjectNode bpe, String[] tokens, Layout layout, List<String[]> merges) {
        ObjectNode vocab = bpe.putObject("vocab");
        for (int i = 0; i < tokens.length; i++) {
            if (layout.inModel[i]) {
                vocab.put(tokens[i], i);
            }
        }
        ArrayNode m = bpe.putArray("merges");
        for (String[] p : merges) {
            m.addArray().add(p[0]).add(p[1]);
        }
    }

    /**
     * "left right" strings cut at the first space after the first character, as llama.cpp reads them; both halves and
     * their join must be in the vocabulary (the Rust library refuses a tokenizer.json otherwise).
     */
    private static List<String[]> splitMerges(GgufVocabKeys keys, String[] merges, Map<String, Integer> ids) {
        List<String[]> out = new ArrayList<>(merges.length);
        for (int i = 0; i < merges.length; i++) {
            String s = merges[i];
            int cut = s.isEmpty() ? -1 : s.indexOf(' ', Character.charCount(s.codePointAt(0)));
            if (cut < 0) {
                throw keys.error("tokenizer.ggml.merges[" + i + "] \"" + s + "\" is not two tokens separated by a space");
            }
            String l = s.substring(0, cut), r = s.substring(cut + 1);
            for (String t : new String[] {l, r, l + r}) {
                if (!ids.containsKey(t)) {
                    throw keys.error("tokenizer.ggml.merges[" + i + "] \"" + s + "\" needs \"" + t + "\", which is not in the vocabulary");
                }
            }
            out.add(new String[] {l, r});
        }
        return out;
    }

    private static ObjectNode byteLevelPre(GgufVocabPre p) {
        ArrayNode steps = JSON.arrayNode();
        for (String regex : p.splits()) {
            ObjectNode split = steps.addObject();
            split.put("type", "Split");
            split.putObject("pattern").put("Regex", regex);
            split.put("behavior", "Isolated").put("invert", false);
        }
        ObjectNode byteLevel = byteLevel(false, true, p.gpt2Regex());
        if (steps.isEmpty()) {
            return byteLevel;
        }
        steps.add(byteLevel);
        return type("Sequence").set("pretokenizers", steps);
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        return type("ByteLevel").put("add_prefix_space", addPrefixSpace).put("trim_offsets", trimOffsets).put("use_regex", useRegex);
    }

    /** Transformers' LlamaTokenizerFast.update_post_processor: "bos:0 $A:0 eos:0" and "... bos:1 $B:1 eos:1". */
    private static ObjectNode template(String[] tokens, Specials specials, boolean addBos, boolean addEos) {
        Integer bos = addBos ? specials.ids.get("bos") : null;
        Integer eos = addEos ? specials.ids.get("eos") : null;
        ArrayNode single = JSON.arrayNode(), pair = JSON.arrayNode();
        for (int seq = 0; seq < 2; seq++) {
            ArrayNode into = seq == 0 ? single : pair;
            for (int k = 0; k <= seq; k++) {
                if (bos != null) {
                    into.addObject().putObject("SpecialToken").put("id", tokens[bos]).put("type_id", k);
                }
                into.addObject().putObject("Sequence").put("id", k == 0 ? "A" : "B").put("type_id", k);
                if (eos != null) {
                    into.addObject().putObject("SpecialToken").put("id", tokens[eos]).put("type_id", k);
                }
            }
        }
        ObjectNode t = type("TemplateProcessing");
        t.set("single", single);
        t.set("pair", pair);
        ObjectNode st = t.putObject("special_tokens");
        for (Integer id : new Integer[] {bos, eos}) {
            if (id != null) {
                st.putObject(tokens[id]).put("id", tokens[id]).set("ids", JSON.arrayNode().add(id));
                ((ObjectNode) st.get(tokens[id])).set("tokens", JSON.arrayNode().add(tokens[id]));
            }
        }
        return t;
    }

    private static ObjectNode tokenizerConfig(GgufVocabKeys keys, GgufFile gguf, String[] tokens, Specials specials, boolean addBos,
            boolean addEos, boolean cleanSpaces) {
        ObjectNode c = JSON.objectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        specials.ids.forEach((typ, id) -> c.put(typ + "_token", tokens[id]));
        c.put("add_bos_token", addBos);
        c.put("add_eos_token", addEos);
        c.put("clean_up_tokenization_spaces", cleanSpaces);
        String arch = keys.string("general.architecture");
        Long context = arch == null ? null : keys.integer(arch + ".context_length");
        if (context != null && context > 0) {
            c.put("model_max_length", context);
        }
        String template = keys.string("tokenizer.chat_template");
        List<String> named = new ArrayList<>();
        for (String k : gguf.header().metadata().keySet()) {
            if (k.startsWith("tokenizer.chat_template.")) {
                named.add(k);
            }
        }
        if (!named.isEmpty()) {
            // Transformers' form for several templates: a list of {name, template}, "default" being the chat template
            ArrayNode list = c.putArray("chat_template");
            if (template != null) {
                list.addObject().put("name", "default").put("template", template);
            }
            for (String k : named) {
                list.addObject().put("name", k.substring("tokenizer.chat_template.".length())).put("template", keys.string(k));
            }
        } else if (template != null) {
            c.put("chat_template", template);
        }
        return c;
    }

    private static ObjectNode type(String type) {
        return JSON.objectNode().put("type", type);
    }

    private static ObjectNode sequence(String field, ObjectNode... items) {
        ArrayNode a = JSON.arrayNode();
        for (ObjectNode i : items) {
            a.add(i);
        }
        return type("Sequence").set(field, a);
    }

    private static ObjectNode prepend() {
        return type("Prepend").put("prepend", SPACE);
    }

    private static ObjectNode replace(String from, String to) {
        ObjectNode r = type("Replace");
        r.putObject("pattern").put("String", from);
        r.put("content", to);
        return r;
    }
}
