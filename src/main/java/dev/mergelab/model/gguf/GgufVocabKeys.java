package dev.mergelab.model.gguf;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufArray;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufValueType;
import java.util.Map;

/**
 * The {@code tokenizer.*} keys of a GGUF file, read with their types and lengths checked: a key of the wrong type, an
 * array whose length is not the vocabulary's, a token type outside llama.cpp's enum or an id past the vocabulary is a
 * one-line error naming the file and the key.
 */
final class GgufVocabKeys {

    /** llama_token_type: 0 undefined (read as normal), 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private final String where;
    private final Map<String, GgufValue> meta;

    GgufVocabKeys(GgufFile gguf) {
        this.where = gguf.path().toString();
        this.meta = gguf.header().metadata();
    }

    MergeLabException error(String message) {
        return MergeLabException.input(where + ": " + message, "the GGUF's tokenizer metadata is malformed; re-convert the model");
    }

    String string(String key) {
        GgufValue v = meta.get(key);
        if (v == null) {
            return null;
        }
        if (v.type() != GgufValueType.STRING) {
            throw error(key + " is a " + v.type() + ", not a string");
        }
        return v.asString();
    }

    Boolean bool(String key) {
        GgufValue v = meta.get(key);
        if (v == null) {
            return null;
        }
        if (v.type() != GgufValueType.BOOL) {
            throw error(key + " is a " + v.type() + ", not a bool");
        }
        return (Boolean) v.value();
    }

    /** An unsigned or signed integer key, or null. */
    Long integer(String key) {
        GgufValue v = meta.get(key);
        if (v == null) {
            return null;
        }
        if (!v.type().isInteger()) {
            throw error(key + " is a " + v.type() + ", not an integer");
        }
        return v.asLong();
    }

    /** A token id key: null when absent, an error when it is not an id of the {@code n} tokens. */
    Integer tokenId(String key, int n) {
        Long id = integer(key);
        if (id == null) {
            return null;
        }
        if (id < 0 || id >= n) {
            throw error(key + " is " + id + ", outside the " + n + " tokens");
        }
        return id.intValue();
    }

    private GgufArray array(String key, GgufValueType... elementTypes) {
        GgufValue v = meta.get(key);
        if (v == null) {
            return null;
        }
        if (v.type() != GgufValueType.ARRAY) {
            throw error(key + " is a " + v.type() + ", not an array");
        }
        GgufArray a = v.asArray();
        for (GgufValueType t : elementTypes) {
            if (a.elementType() == t || (t.isInteger() && a.elementType().isInteger())) {
                return a;
            }
        }
        throw error(key + " holds " + a.elementType() + " items, not " + elementTypes[0]);
    }

    /** tokenizer.ggml.tokens: required, strings. */
    String[] tokens() {
        GgufArray a = array("tokenizer.ggml.tokens", GgufValueType.STRING);
        if (a == null || a.size() == 0) {
            throw error("tokenizer.ggml.tokens is missing or empty");
        }
        return strings(a);
    }

    /** A string array of any length, or null. */
    String[] strings(String key) {
        GgufArray a = array(key, GgufValueType.STRING);
        return a == null ? null : strings(a);
    }

    private static String[] strings(GgufArray a) {
        String[] s = new String[a.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.get(i).asString();
        }
        return s;
    }

    /** tokenizer.ggml.token_type: integers 0..6, one per token; all normal when absent. */
    int[] tokenTypes(int n) {
        GgufArray a = array("tokenizer.ggml.token_type", GgufValueType.INT32);
        int[] types = new int[n];
        if (a == null) {
            java.util.Arrays.fill(types, NORMAL);
            return types;
        }
        if (a.size() != n) {
            throw error("tokenizer.ggml.token_type has " + a.size() + " items for " + n + " tokens");
        }
        for (int i = 0; i < n; i++) {
            long t = a.get(i).asLong();
            if (t < 0 || t > BYTE) {
                throw error("tokenizer.ggml.token_type[" + i + "] is " + t + ", not a llama.cpp token type (0..6)");
            }
            types[i] = t == 0 ? NORMAL : (int) t;
        }
        return types;
    }

    /** tokenizer.ggml.scores: floats, one per token, or null when absent. */
    float[] scores(int n) {
        GgufArray a = array("tokenizer.ggml.scores", GgufValueType.FLOAT32, GgufValueType.FLOAT64);
        if (a == null) {
            return null;
        }
        if (a.size() != n) {
            throw error("tokenizer.ggml.scores has " + a.size() + " items for " + n + " tokens");
        }
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            Object v = a.get(i).value();
            s[i] = v instanceof Double d ? d.floatValue() : (Float) v;
        }
        return s;
    }
}
