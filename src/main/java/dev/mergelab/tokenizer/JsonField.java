package dev.mergelab.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One node of an untrusted tokenizer.json with the way that led to it, so that every complaint is one line
 * naming the file and the field ({@code tokenizer.json: model.merges[3] is not a string}). The path is only
 * spelled out when there is a complaint: files hold hundreds of thousands of fields.
 *
 * @param parent the field this one is inside, or null for the root
 * @param key    this field's name in its parent object, or null when it is an array element
 * @param position this field's index in its parent array
 */
record JsonField(JsonNode node, JsonField parent, String key, int position, String source) {

    static JsonField root(JsonNode node, String source) {
        return new JsonField(node, null, null, -1, source);
    }

    /** Where this field is, e.g. {@code model.vocab['a']} or {@code added_tokens[2].content}. */
    String path() {
        if (parent == null) {
            return "";
        }
        String up = parent.path();
        if (key == null) {
            return up + "[" + position + "]";
        }
        if (parent.node() != null && parent.node().isObject() && isPlainName(key)) {
            return up.isEmpty() ? key : up + "." + key;
        }
        return up + "[" + Text.quoted(key) + "]";
    }

    private static boolean isPlainName(String k) {
        return !k.isEmpty() && k.length() < 40 && k.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
    }

    /** A user error about this field. */
    MergeLabException error(String what) {
        String path = path();
        return MergeLabException.input(source + ": " + (path.isEmpty() ? "the file" : path) + " " + what,
                "check or re-download the tokenizer file");
    }

    boolean isNull() {
        return node == null || node.isNull() || node.isMissingNode();
    }

    /** The child field; absent children come back with {@link #isNull()} true. */
    JsonField get(String name) {
        JsonNode child = node != null && node.isObject() ? node.get(name) : null;
        return new JsonField(child, this, name, -1, source);
    }

    boolean has(String name) {
        return !get(name).isNull();
    }

    JsonField object() {
        if (node == null || !node.isObject()) {
            throw error("is not an object");
        }
        return this;
    }

    List<JsonField> array() {
        if (node == null || !node.isArray()) {
            throw error("is not an array");
        }
        List<JsonField> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            out.add(new JsonField(node.get(i), this, null, i, source));
        }
        return out;
    }

    /** Object entries in file order. */
    List<Map.Entry<String, JsonField>> entries() {
        object();
        List<Map.Entry<String, JsonField>> out = new ArrayList<>(node.size());
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(Map.entry(e.getKey(), new JsonField(e.getValue(), this, e.getKey(), -1, source)));
        }
        return out;
    }

    String string() {
        if (node == null || !node.isTextual()) {
            throw error("is not a string");
        }
        return node.textValue();
    }

    String string(String def) {
        return isNull() ? def : string();
    }

    boolean bool() {
        if (node == null || !node.isBoolean()) {
            throw error("is not true or false");
        }
        return node.booleanValue();
    }

    boolean bool(boolean def) {
        return isNull() ? def : bool();
    }

    /** A non-negative integer that fits an int (token ids, counts, lengths). */
    int index() {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0) {
            throw error("is not a non-negative integer below 2^31");
        }
        return node.intValue();
    }

    int index(int def) {
        return isNull() ? def : index();
    }

    double number() {
        if (node == null || !node.isNumber() || !Double.isFinite(node.doubleValue())) {
            throw error("is not a finite number");
        }
        return node.doubleValue();
    }

    /** The {@code type} tag of a component object. */
    String type() {
        return object().get("type").string();
    }

    /** Refuses the field when its value is not one of {@code allowed}. */
    String oneOf(String def, String... allowed) {
        String v = string(def);
        if (v == null) {
            // Found by fuzzing: a required choice that is absent used to reach the message builder as null.
            throw error("is missing (expected one of " + String.join(", ", allowed) + ")");
        }
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw error("is " + Text.quoted(v) + ", expected one of " + String.join(", ", allowed));
    }
}
