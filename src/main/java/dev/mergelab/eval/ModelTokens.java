package dev.mergelab.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What lm-eval's HFLM takes from a model folder besides the weights: the tokenizer, the prefix token
 * (BOS, else EOS, as Transformers names them in tokenizer_config.json or special_tokens_map.json;
 * lm_eval/models/huggingface.py:611-617) and the maximum length (models/utils.py:551-593
 * resolve_max_length: config n_positions, max_position_embeddings, n_ctx, then the tokenizer's
 * model_max_length unless it is Transformers' "infinity", then 2048).
 */
public record ModelTokens(Tokenizer tokenizer, int prefixTokenId, int maxLength, String maxLengthFrom) {

    /** Transformers' VERY_LARGE_INTEGER, int(1e30): model_max_length when none is set. */
    private static final double TOKENIZER_INFINITY = 1e30;
    private static final int DEFAULT_MAX_LENGTH = 2048;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static ModelTokens load(Path tokenizerJson, ModelConfig config, Integer maxLengthOverride) {
        Tokenizer tok = Tokenizer.load(tokenizerJson);
        Path folder = tokenizerJson.toAbsolutePath().getParent();
        JsonNode tc = readJson(folder.resolve("tokenizer_config.json"));
        JsonNode stm = readJson(folder.resolve("special_tokens_map.json"));
        Integer prefix = tokenId(tok, tc, stm, "bos_token");
        if (prefix == null) {
            prefix = tokenId(tok, tc, stm, "eos_token");
        }
        if (prefix == null) {
            OptionalInt id = config.intValue("bos_token_id");
            if (id.isEmpty()) {
                id = config.intValue("eos_token_id");
            }
            if (id.isEmpty()) {
                throw MergeLabException.input(folder + ": the tokenizer names no bos_token or eos_token, and config.json no bos_token_id "
                        + "or eos_token_id; lm-eval needs one to condition an empty context", null);
            }
            prefix = id.getAsInt();
        }
        if (maxLengthOverride != null) {
            if (maxLengthOverride < 1) {
                throw MergeLabException.input("--max-length must be at least 1", null);
            }
            return new ModelTokens(tok, prefix, maxLengthOverride, "--max-length");
        }
        for (String key : new String[] {"n_positions", "max_position_embeddings", "n_ctx"}) {
            OptionalInt v = textConfigInt(config, key);
            if (v.isPresent()) {
                return new ModelTokens(tok, prefix, v.getAsInt(), "config.json " + key);
            }
        }
        if (tc != null && tc.has("model_max_length") && tc.get("model_max_length").isNumber()
                && tc.get("model_max_length").asDouble() < TOKENIZER_INFINITY) {
            return new ModelTokens(tok, prefix, tc.get("model_max_length").asInt(), "tokenizer_config.json model_max_length");
        }
        return new ModelTokens(tok, prefix, DEFAULT_MAX_LENGTH, "lm-eval's default");
    }

    /** A composite config's text_config is consulted first, as resolve_max_length does. */
    private static OptionalInt textConfigInt(ModelConfig config, String key) {
        Optional<JsonNode> text = config.value("text_config");
        if (text.isPresent() && text.get().isObject()) {
            JsonNode v = text.get().get(key);
            return v != null && v.canConvertToInt() ? OptionalInt.of(v.intValue()) : OptionalInt.empty();
        }
        return config.intValue(key);
    }

    private static Integer tokenId(Tokenizer tok, JsonNode tc, JsonNode stm, String key) {
        for (JsonNode n : new JsonNode[] {tc, stm}) {
            if (n == null || !n.has(key) || n.get(key).isNull()) {
                continue;
            }
            JsonNode v = n.get(key);
            String text = v.isTextual() ? v.textValue() : v.path("content").asText(null);
            if (text != null) {
                int id = tok.tokenToId(text);
                if (id >= 0) {
                    return id;
                }
            }
        }
        return null;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw MergeLabException.input(file + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), null);
        }
    }
}
