package dev.mergelab.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON turned into the values a chat template sees, as Python's {@code json.load} gives them to jinja2: objects
 * as maps in file order, arrays as lists, whole numbers as Long (BigInteger beyond), other numbers as Double.
 * Also reads a conversation file ({@code --messages FILE.json}).
 */
public final class ChatValues {

    /** A conversation file is text a person wrote; this stops a hostile one from filling memory. */
    static final long MAX_MESSAGES_BYTES = 64L << 20;

    private ChatValues() {
    }

    /** The plain Java value of a JSON node. */
    public static Object of(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isTextual()) {
            return n.textValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber()) {
            return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isArray()) {
            List<Object> out = new ArrayList<>(n.size());
            n.forEach(e -> out.add(of(e)));
            return out;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        n.properties().forEach(e -> out.put(e.getKey(), of(e.getValue())));
        return out;
    }

    /**
     * A conversation: a JSON list of messages, each an object with a string {@code role} and a {@code content}
     * that is a string, a list of parts, or null (assistant turns that only call tools). Anything else is a
     * one-line error naming the file and the position.
     */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> readMessages(Path file) {
        JsonNode root = readJson(file);
        if (!root.isArray()) {
            throw MergeLabException.input(file + ": a conversation must be a JSON list of messages,"
                    + " e.g. [{\"role\": \"user\", \"content\": \"Hi\"}]", null);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode m = root.get(i);
            String where = file + ": message " + i;
            if (!m.isObject()) {
                throw MergeLabException.input(where + " is not an object with role and content", null);
            }
            if (!m.path("role").isTextual()) {
                throw MergeLabException.input(where + " has no \"role\" string", null);
            }
            JsonNode content = m.get("content");
            if (content != null && !content.isTextual() && !content.isArray() && !content.isNull()) {
                throw MergeLabException.input(where + ": \"content\" must be a string, a list of parts or null", null);
            }
            out.add((Map<String, Object>) of(m));
        }
        return out;
    }

    /** A JSON file (tools, conversations) read with tokenizer.json's caps; errors name the line and column. */
    public static JsonNode readJson(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input(file + ": no such file", null);
            }
            if (Files.size(file) > MAX_MESSAGES_BYTES) {
                throw MergeLabException.input(file + " is over " + MAX_MESSAGES_BYTES + " bytes", null);
            }
            return TokenizerJson.parse(Files.readAllBytes(file), file.toString());
        } catch (java.io.IOException e) {
            throw MergeLabException.input("cannot read " + file + ": " + Text.quoted(String.valueOf(e.getMessage())), null);
        }
    }
}
