package dev.mergelab.tensor;

import java.util.Locale;

/**
 * The tensor element types MergeLab reads and writes, with their safetensors names and sizes.
 * Anything else in a file is refused with a clear error (see {@link #fromSafetensors}).
 */
public enum DType {
    F64("F64", 8, true),
    F32("F32", 4, true),
    F16("F16", 2, true),
    BF16("BF16", 2, true),
    F8_E4M3("F8_E4M3", 1, true),
    F8_E5M2("F8_E5M2", 1, true),
    I64("I64", 8, false),
    I32("I32", 4, false),
    I16("I16", 2, false),
    I8("I8", 1, false),
    U8("U8", 1, false),
    BOOL("BOOL", 1, false);

    private final String safetensorsName;
    private final int size;
    private final boolean floating;

    DType(String safetensorsName, int size, boolean floating) {
        this.safetensorsName = safetensorsName;
        this.size = size;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for floating-point types (the ones merge methods mix). */
    public boolean isFloating() {
        return floating;
    }

    /** The name used in safetensors headers, e.g. {@code BF16}. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Parses a safetensors dtype name; returns null for names we do not support. */
    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * Parses a user-facing dtype as recipes and Transformers' config write it
     * ({@code bfloat16}, {@code float16}, {@code float32}, {@code bf16}, {@code fp16}, ...).
     * Returns null when unknown.
     */
    public static DType fromUserName(String name) {
        if (name == null) {
            return null;
        }
        return switch (name.toLowerCase(Locale.ROOT).replace("torch.", "")) {
            case "bfloat16", "bf16" -> BF16;
            case "float16", "fp16", "f16", "half" -> F16;
            case "float32", "fp32", "f32", "float" -> F32;
            case "float64", "fp64", "f64", "double" -> F64;
            case "float8_e4m3fn", "f8_e4m3", "fp8_e4m3" -> F8_E4M3;
            case "float8_e5m2", "f8_e5m2", "fp8_e5m2" -> F8_E5M2;
            default -> null;
        };
    }

    /** The name Transformers writes in config.json ({@code torch_dtype}). */
    public String torchName() {
        return switch (this) {
            case F64 -> "float64";
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case F8_E4M3 -> "float8_e4m3fn";
            case F8_E5M2 -> "float8_e5m2";
            case I64 -> "int64";
            case I32 -> "int32";
            case I16 -> "int16";
            case I8 -> "int8";
            case U8 -> "uint8";
            case BOOL -> "bool";
        };
    }
}
