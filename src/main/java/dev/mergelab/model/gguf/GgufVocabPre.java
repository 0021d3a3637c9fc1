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
    private static final String DEEPSEEK_LLM_LATIN = "\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\ud801\udc00-\ud801\udc4f\ud801\udcb0-\ud801\udcd3\ud801\udcd8-\ud801\udcfb\ud803\udc80-\ud803\udcb2\ud803\udcc0-\ud803\udcf2\ud806\udca0-\ud806\udcdf\ud83a\udd00-\ud83a\udd43]+";

    private static final GgufVocabPre GPT2_FAMILY = new GgufVocabPre(List.of(), true, false, null);
    private static final Map<String, GgufVocabPre> BY_NAME = new HashMap<>();

    static {
        GgufVocabPre llama3 = splits(true, LLAMA3);
        names(llama3, "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano");
        names(splits(false, LLAMA3), "dbrx", "smaug-bpe", "glm4", "chatglm-bpe");
        names(splits(false, CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+"
                + "|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)"
                + "|\\s{1,2}(?!\\S)|\\s{1}"), "jais-2");
        names(splits(false, "[\r\n]", DEEPSEEK_LLM_LATIN, "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+", "\\s+$", "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+", "\\p{N}+"),
                "deepseek-llm");
        names(splits(false, "\\p{N}{1,3}", "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+", DEEPSEEK3_WORDS), "deepseek-v3", "hunyuan-dense", "joyai-llm");
        names(splits(false, "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+", "\\p{N}"), "deepseek-coder");
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
        names(splits(false, " ?[^(\\s|.,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c)]+"), "poro-chat", "bloom", "gpt3-finnish");
        names(splits(false, " ?[^(\\s|.,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c)]+", "\\p{N}"), "viking");
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
