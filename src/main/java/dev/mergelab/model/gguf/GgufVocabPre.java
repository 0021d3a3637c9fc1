package dev.mergelab.model.gguf;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a byte-level BPE vocabulary's {@code tokenizer.ggml.pre} name stands for in a Hugging Face tokenizer.json:
 * the regular expressions the text is split by (each a {@code Split} pre-tokenizer, behaviour {@code Isolated}),
 * or GPT-2's built-in one ({@code ByteLevel} with {@code use_regex}), whether whole words found in the vocabulary
 * skip the merges ({@code ignore_merges}) and the normalizer the family's tokenizer.json has.
 *
 * <p>The GGUF records only the name. The names and the families they belong to are llama.cpp's (llama-vocab.cpp,
 * llama_vocab::impl::load, 80fb11a as node-llama-cpp 3.21.1 ships it); the expressions are the ones the families'
 * tokenizer.json files use where llama.cpp quotes them (it rewrites {@code (?i:...)} and some character classes
 * for its own regex engine), else llama.cpp's own list, which is then what llama.cpp does and may differ from the
 * original file on rare text. The normalizer is not recorded anywhere in the GGUF: Qwen's NFC is restored from
 * the family; a fine-tune that changed it cannot be told apart.
 */
record GgufVocabPre(List<String> splits, boolean gpt2Regex, boolean ignoreMerges, String normalizer) {

    private static final String CONTRACTIONS = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
    /** GPT-2's expression as llama.cpp writes it (ByteLevel's own adds a final {@code |\s+}). */
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String LLAMA3 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GPT4O_WORDS = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" + CONTRACTIONS + "?";
    private static final String GPT4O = GPT4O_WORDS + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String DEEPSEEK3_WORDS = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
            + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";
    private static final String DEEPSEEK_LLM_LATIN = "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";

    private static final GgufVocabPre GPT2_FAMILY = new GgufVocabPre(List.of(), true, false, null);
    private static final Map<String, GgufVocabPre> BY_NAME = new HashMap<>();

    static {
        GgufVocabPre llama3 = splits(true, LLAMA3);
        names(llama3, "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano");
        names(splits(false, LLAMA3), "dbrx", "smaug-bpe", "glm4", "chatglm-bpe");
        names(splits(false, CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+"
                + "|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)"
                + "|\\s{1,2}(?!\\S)|\\s{1}"), "jais-2");
        names(splits(false, "[\r\n]", DEEPSEEK_LLM_LATIN, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", "[一-龥ࠀ-一가-퟿]+", "\\p{N}+"),
                "deepseek-llm");
        names(splits(false, "\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", DEEPSEEK3_WORDS), "deepseek-v3", "hunyuan-dense", "joyai-llm");
        names(splits(false, "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"), "deepseek-coder");
        names(splits(false, "[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]"), "falcon");
        names(new GgufVocabPre(List.of("\\p{N}"), true, false, null), "starcoder", "refact", "command-r", "smollm", "codeshell",
                "exaone", "minerva-7b", "mellum2");
        names(GPT2_FAMILY, "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
                "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "mpt", "olmo", "jais", "trillion",
                "granite-docling");
        names(new GgufVocabPre(List.of(QWEN2), false, false, "NFC"), "qwen2", "deepseek-r1-qwen", "megrez");
        names(splits(false, QWEN2), "stablelm2", "hunyuan", "solar-open", "kormo", "f2llmv2", "grok-2");
        names(new GgufVocabPre(List.of(CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*"
                + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"), false, false, "NFC"), "qwen35");
        names(splits(false, " ?[^(\\s|.,!?…。，、।۔،)]+"), "poro-chat", "bloom", "gpt3-finnish");
        names(splits(false, " ?[^(\\s|.,!?…。，、।۔،)]+", "\\p{N}"), "viking");
        names(splits(true, "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?"
                + "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+"
                + "|\\s+(?!\\S)|\\s+"), "tekken");
        names(splits(false, "<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", "\\p{N}",
                "[\\p{P}!-/:-@\\[-`{-~]", GPT2), "chameleon");
        names(splits(false, GPT4O), "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2");
        names(splits(false, "\\d{1,3}(?=(?:\\d{3})*\\b)", GPT4O), "tiny_aya", "cohere2moe");
        names(splits(false, "\\p{N}+", "(?=(\\d{3})+(?!\\d))"), "superbpe");
        names(splits(false, CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
                "seed-coder");
        names(splits(false, "[^\\n]+|[\\n]+", QWEN2), "laguna");
        names(splits(false, CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?"
                + "|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"), "exaone-moe");
        names(splits(true, "\\p{N}{1,3}", CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+"
                + "|\\s+(?!\\S)|\\s+"), "minicpm5");
        names(splits(false, "[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"), "default");
    }

    private static GgufVocabPre splits(boolean ignoreMerges, String... regexes) {
        return new GgufVocabPre(List.of(regexes), false, ignoreMerges, null);
    }

    private static void names(GgufVocabPre p, String... names) {
        for (String n : names) {
            BY_NAME.put(n, p);
        }
    }

    /**
     * The pre-tokenizer of {@code name}, or null for one without a byte-level form here: llama.cpp splits kimi-k2 and
     * afmoe text with hand-written code, bailingmoe's expression needs possessive quantifiers, and gemma4, sarvam-moe,
     * whitespace and the granite-embed-multi ones are not byte-level BPE or have no quoted expression.
     */
    static GgufVocabPre named(String name) {
        return BY_NAME.get(name);
    }

    /**
     * Whether llama.cpp cleans up spaces before punctuation when it detokenizes this family (its {@code clean_spaces}),
     * which is what Transformers' {@code clean_up_tokenization_spaces} does: true for Llama 3, false for Qwen.
     */
    static boolean cleansSpaces(String name) {
        return !NO_CLEAN_SPACES.contains(name);
    }

    private static final java.util.Set<String> NO_CLEAN_SPACES = java.util.Set.of("deepseek-llm", "deepseek-coder", "deepseek-v3",
            "youtu", "sarvam-moe", "command-r", "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "qwen35", "poro-chat", "viking",
            "tekken", "smollm", "chameleon", "gpt-4o", "llama4", "kanana2", "talkie", "granite-embed-multi-97m", "tiny_aya",
            "cohere2moe", "superbpe", "trillion", "granite-docling", "bailingmoe", "bailingmoe2", "llada-moe", "seed-coder", "hunyuan",
            "hunyuan-dense", "joyai-llm", "kimi-k2", "grok-2", "afmoe", "laguna", "minimax-m2", "solar-open");

    /** Whether llama.cpp adds a BOS token for this name when the GGUF has no {@code add_bos_token} key. */
    static boolean addsBosByDefault(String name) {
        return List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
                "tekken", "chameleon").contains(name);
    }
}
