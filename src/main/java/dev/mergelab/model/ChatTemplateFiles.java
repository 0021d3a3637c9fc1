package dev.mergelab.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model folder's chat template as Hugging Face transformers loads it, and its tokenizer_config.json with
 * another template put in. transformers reads {@code chat_template.jinja} when the folder has one and only
 * otherwise the {@code chat_template} field of tokenizer_config.json: a string, or a list of named templates
 * of which the one named {@code default} is the chat template. ({@code chat_template.json} belongs to
 * multimodal processors; a tokenizer does not read it.)
 */
public final class ChatTemplateFiles {

    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String JINJA = "chat_template.jinja";
    public static final String PROCESSOR_JSON = "chat_template.json";

    /** Real tokenizer_config.json files are a few KiB plus the template (tens of KiB). */
    static final long MAX_CONFIG_BYTES = 16L << 20;

    private ChatTemplateFiles() {
    }

    /** The chat template {@code folder} holds, if any (a single-file model's folder is read the same way). */
    public static Optional<String> read(Path folder) {
        if (!Files.isDirectory(folder)) {
            return Optional.empty();
        }
        Path jinja = SafePaths.resolveInside(folder, JINJA);
        if (Files.isRegularFile(jinja)) {
            return Optional.of(utf8(SafeJson.readCapped(jinja, SafeJson.MAX_STRING, "chat template"), jinja));
        }
        Path config = SafePaths.resolveInside(folder, TOKENIZER_CONFIG);
        if (!Files.isRegularFile(config)) {
            return Optional.empty();
        }
        JsonNode field = readConfig(config).get("chat_template");
        if (field == null || field.isNull()) {
            return Optional.empty();
        }
        if (field.isTextual()) {
            return Optional.of(field.textValue());
        }
        if (field.isArray()) {
            for (JsonNode named : field) {
                if (!named.isObject() || !named.path("name").isTextual() || !named.path("template").isTextual()) {
                    throw notATemplate(config);
                }
                if (named.get("name").textValue().equals("default")) {
                    return Optional.of(named.get("template").textValue());
                }
            }
            return Optional.empty();
        }
        throw notATemplate(config);
    }

    /**
     * The text of {@code folder}'s tokenizer_config.json with {@code chat_template} set to {@code template}:
     * every other key keeps its value and place (a template already there is replaced where it stands, a new
     * one goes last). Without a tokenizer_config.json the result holds the template alone.
     */
    public static String configWithTemplate(Path folder, String template) {
        Path config = SafePaths.resolveInside(folder, TOKENIZER_CONFIG);
        ObjectNode root = Files.isRegularFile(config) ? readConfig(config) : SafeJson.MAPPER.createObjectNode();
        root.put("chat_template", template);
        try {
            return SafeJson.MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a tree we parsed", e);
        }
    }

    private static ObjectNode readConfig(Path config) {
        JsonNode node = SafeJson.read(config, MAX_CONFIG_BYTES, "tokenizer config");
        if (!(node instanceof ObjectNode obj)) {
            throw MergeLabException.input("tokenizer config " + config + " must be a JSON object", "repair or re-download the file");
        }
        return obj;
    }

    private static MergeLabException notATemplate(Path config) {
        return MergeLabException.input("tokenizer config " + config
                + ": chat_template must be a string or a list of {name, template} objects", "repair or re-download the file");
    }

    private static String utf8(byte[] bytes, Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw MergeLabException.input("chat template " + file + " is not valid UTF-8", "repair or re-download the file");
        }
    }
}
