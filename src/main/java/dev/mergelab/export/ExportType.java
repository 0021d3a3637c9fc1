package dev.mergelab.export;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgmlType;
import java.util.Arrays;
import java.util.Locale;

/**
 * The {@code --type} choices: llama.cpp's llama_ftype number (llama.h; written as {@code general.file_type}) and
 * the default tensor type of the preset (llama_ftype_get_default_type in llama-quant.cpp).
 */
public enum ExportType {
    F32(0, GgmlType.F32),
    F16(1, GgmlType.F16),
    BF16(32, GgmlType.BF16),
    Q8_0(7, GgmlType.Q8_0),
    Q4_0(2, GgmlType.Q4_0),
    Q4_1(3, GgmlType.Q4_1),
    Q5_0(8, GgmlType.Q5_0),
    Q5_1(9, GgmlType.Q5_1),
    Q4_K_S(14, GgmlType.Q4_K),
    Q4_K_M(15, GgmlType.Q4_K),
    Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K);

    /** llama_ftype. */
    public final int ftype;
    /** The type a quantizable tensor gets before the preset's mixture rules. */
    public final GgmlType defaultType;

    ExportType(int ftype, GgmlType defaultType) {
        this.ftype = ftype;
        this.defaultType = defaultType;
    }

    /** True for the types llama-quant.cpp treats as quantized (the mixture rules apply). */
    public boolean quantized() {
        return defaultType.blockSize > 1;
    }

    /** {@code q4_k_m}, {@code F16}, ... (case-insensitive); anything else is a one-line input error. */
    public static ExportType parse(String s) {
        for (ExportType t : values()) {
            if (t.name().equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw MergeLabException.input("unknown GGUF type '" + s + "'", "one of " + String.join(", ",
                Arrays.stream(values()).map(t -> t.name().toLowerCase(Locale.ROOT)).toList()));
    }
}
