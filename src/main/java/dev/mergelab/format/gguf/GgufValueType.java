package dev.mergelab.format.gguf;

/** The metadata value types of GGUF (enum gguf_type in gguf.h, same ids). */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 8),
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    /** The id stored in the file. */
    public final int id;
    /**
     * Bytes the smallest value of this type takes in the file (a string: its 8-byte length; an array: its
     * 4-byte element type and 8-byte count), which bounds how many values a claimed count can really hold.
     */
    final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    /** The type with id {@code id}, or null. */
    public static GgufValueType ofId(long id) {
        for (GgufValueType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** True for the integer types (read as {@code long}; UINT64 keeps its bits). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** gguf_type_name's spelling ({@code u32}, {@code str}, {@code arr}). */
    public String shortName() {
        return switch (this) {
            case UINT8 -> "u8";
            case INT8 -> "i8";
            case UINT16 -> "u16";
            case INT16 -> "i16";
            case UINT32 -> "u32";
            case INT32 -> "i32";
            case FLOAT32 -> "f32";
            case BOOL -> "bool";
            case STRING -> "str";
            case ARRAY -> "arr";
            case UINT64 -> "u64";
            case INT64 -> "i64";
            case FLOAT64 -> "f64";
        };
    }
}
