package dev.mergelab.format.gguf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One GGUF metadata value. Scalars hold a {@link Long} (every integer type; UINT64 keeps its bits),
 * {@link Float}, {@link Double}, {@link Boolean} or {@link String}; an ARRAY holds a {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        boolean ok = switch (type) {
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> value instanceof GgufArray;
            default -> value instanceof Long;
        };
        if (!ok) {
            throw new IllegalArgumentException(type + " value cannot be a " + value.getClass().getSimpleName());
        }
    }

    public static GgufValue ofString(String s) {
        return new GgufValue(GgufValueType.STRING, s);
    }

    public static GgufValue ofU32(long v) {
        return new GgufValue(GgufValueType.UINT32, v & 0xFFFFFFFFL);
    }

    public static GgufValue ofI32(int v) {
        return new GgufValue(GgufValueType.INT32, (long) v);
    }

    public static GgufValue ofF32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v);
    }

    public static GgufValue ofArray(GgufArray a) {
        return new GgufValue(GgufValueType.ARRAY, a);
    }

    /** The integer value; an IllegalStateException if this is not an integer. */
    public long asLong() {
        if (!type.isInteger()) {
            throw new IllegalStateException(type + " is not an integer");
        }
        return (Long) value;
    }

    /** The string value; an IllegalStateException if this is not a string. */
    public String asString() {
        if (type != GgufValueType.STRING) {
            throw new IllegalStateException(type + " is not a string");
        }
        return (String) value;
    }

    /** The array value; an IllegalStateException if this is not an array. */
    public GgufArray asArray() {
        if (type != GgufValueType.ARRAY) {
            throw new IllegalStateException(type + " is not an array");
        }
        return (GgufArray) value;
    }

    /** The value as text: numbers in decimal (UINT64 unsigned), arrays as their first {@code maxItems} items. */
    public String show(int maxItems) {
        return switch (type) {
            case UINT64 -> Long.toUnsignedString((Long) value);
            case ARRAY -> ((GgufArray) value).show(maxItems);
            default -> String.valueOf(value);
        };
    }

    @Override
    public String toString() {
        return show(8);
    }

    /** Items of an array rendered one by one; used by {@link GgufArray#show}. */
    static List<String> shown(GgufArray a, int maxItems) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(maxItems, a.size()); i++) {
            out.add(a.get(i).show(maxItems));
        }
        return out;
    }
}
