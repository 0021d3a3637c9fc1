package dev.mergelab.format.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A GGUF metadata array: an element type and the items, held in a primitive array so that a vocabulary of
 * 150,000 tokens or a million-entry score table costs what its values do: {@code long[]} for every integer
 * type, {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}, or {@code GgufArray[]} for
 * nested arrays.
 */
public final class GgufArray {

    private final GgufValueType elementType;
    private final Object items;
    private final int size;

    public GgufArray(GgufValueType elementType, Object items) {
        this.elementType = Objects.requireNonNull(elementType);
        this.items = Objects.requireNonNull(items);
        boolean ok = switch (elementType) {
            case FLOAT32 -> items instanceof float[];
            case FLOAT64 -> items instanceof double[];
            case BOOL -> items instanceof boolean[];
            case STRING -> items instanceof String[];
            case ARRAY -> items instanceof GgufArray[];
            default -> items instanceof long[];
        };
        if (!ok) {
            throw new IllegalArgumentException(elementType + " array cannot hold a " + items.getClass().getSimpleName());
        }
        this.size = java.lang.reflect.Array.getLength(items);
    }

    public static GgufArray ofStrings(String... s) {
        return new GgufArray(GgufValueType.STRING, s.clone());
    }

    public static GgufArray ofFloats(float... f) {
        return new GgufArray(GgufValueType.FLOAT32, f.clone());
    }

    /** An array of {@code type} integers (each value taken modulo the type's width when written). */
    public static GgufArray ofIntegers(GgufValueType type, long... v) {
        if (!type.isInteger()) {
            throw new IllegalArgumentException(type + " is not an integer type");
        }
        return new GgufArray(type, v.clone());
    }

    public GgufValueType elementType() {
        return elementType;
    }

    public int size() {
        return size;
    }

    /** Item {@code i} as a value of the element type. */
    public GgufValue get(int i) {
        Objects.checkIndex(i, size);
        return switch (elementType) {
            case FLOAT32 -> new GgufValue(elementType, ((float[]) items)[i]);
            case FLOAT64 -> new GgufValue(elementType, ((double[]) items)[i]);
            case BOOL -> new GgufValue(elementType, ((boolean[]) items)[i]);
            case STRING -> new GgufValue(elementType, ((String[]) items)[i]);
            case ARRAY -> new GgufValue(elementType, ((GgufArray[]) items)[i]);
            default -> new GgufValue(elementType, ((long[]) items)[i]);
        };
    }

    /** The items, as the primitive array described above (not a copy: do not modify). */
    Object items() {
        return items;
    }

    /** {@code [type × n] first, second, ...}: the type, the count and up to {@code maxItems} items. */
    public String show(int maxItems) {
        StringBuilder sb = new StringBuilder().append('[').append(elementType.shortName()).append(" × ").append(size).append(']');
        var shown = GgufValue.shown(this, maxItems);
        if (!shown.isEmpty()) {
            sb.append(' ').append(String.join(", ", shown));
            if (size > shown.size()) {
                sb.append(", ...");
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray a && a.elementType == elementType && Arrays.deepEquals(new Object[] {items}, new Object[] {a.items});
    }

    @Override
    public int hashCode() {
        return elementType.hashCode() * 31 + Arrays.deepHashCode(new Object[] {items});
    }

    @Override
    public String toString() {
        return show(8);
    }
}
