package dev.mergelab.model.gguf;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufValueType;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** Typed reads of a GGUF file's metadata, with one-line errors naming the file and the key. */
final class GgufKeys {

    private final Map<String, GgufValue> meta;
    private final String where;

    GgufKeys(Map<String, GgufValue> meta, String where) {
        this.meta = meta;
        this.where = where;
    }

    boolean has(String key) {
        return meta.containsKey(key);
    }

    /** A string value; a one-line error when missing or of another type. */
    String requiredString(String key) {
        GgufValue v = meta.get(key);
        if (v == null) {
            throw missing(key);
        }
        if (v.type() != GgufValueType.STRING) {
            throw wrongType(key, v, "a string");
        }
        return v.asString();
    }

    /** A non-negative integer value; a one-line error when missing or not one. */
    long requiredCount(String key) {
        return count(key).orElseThrow(() -> missing(key));
    }

    OptionalLong count(String key) {
        GgufValue v = meta.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (!v.type().isInteger() || v.asLong() < 0) {
            throw wrongType(key, v, "a count");
        }
        return OptionalLong.of(v.asLong());
    }

    /**
     * A number as the shortest decimal of its stored type: a FLOAT32 value 1e-6 reads as the double 1e-6, as a
     * config.json says it, not as the float's exact binary value 9.99999997e-7.
     */
    OptionalDouble real(String key) {
        GgufValue v = meta.get(key);
        if (v == null) {
            return OptionalDouble.empty();
        }
        return switch (v.type()) {
            case FLOAT32 -> OptionalDouble.of(Double.parseDouble(Float.toString((Float) v.value())));
            case FLOAT64 -> OptionalDouble.of((Double) v.value());
            default -> {
                if (!v.type().isInteger()) {
                    throw wrongType(key, v, "a number");
                }
                yield OptionalDouble.of(v.asLong());
            }
        };
    }

    MergeLabException missing(String key) {
        return MergeLabException.input(where + ": GGUF metadata has no " + key, "the file is incomplete; convert the model again");
    }

    private MergeLabException wrongType(String key, GgufValue v, String what) {
        return MergeLabException.input(where + ": GGUF metadata " + key + " is " + v.type() + ", not " + what,
                "the file is malformed; convert the model again");
    }
}
