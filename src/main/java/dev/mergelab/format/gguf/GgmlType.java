package dev.mergelab.format.gguf;

import java.util.Locale;

/**
 * The tensor types of ggml (enum ggml_type in ggml.h, same ids) with their block geometry: a row of
 * {@code ne0} elements is stored as {@code ne0 / blockSize} blocks of {@code typeSize} bytes. Every type a
 * GGUF file may name is listed so that any file can be opened and inspected; {@link #decodable} says which
 * ones MergeLab turns into float32.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    NVFP4(40, 64, 36),
    Q1_0(41, 128, 18),
    Q2_0(42, 64, 18);

    private static final GgmlType[] BY_ID = new GgmlType[43];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    /** The id stored in a GGUF tensor info. */
    public final int id;
    /** Elements per block (1 for plain element types). */
    public final int blockSize;
    /** Bytes per block. */
    public final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The type with ggml id {@code id}, or null for an id ggml does not define. */
    public static GgmlType ofId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** The type named like ggml_type_name or llama-quantize's type names ({@code q4_k}, {@code Q4_K}, {@code f16}). */
    public static GgmlType ofName(String name) {
        for (GgmlType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        return null;
    }

    /** Bytes of a row of {@code elements} elements; the caller has checked it is a whole number of blocks. */
    public long rowBytes(long elements) {
        return elements / blockSize * typeSize;
    }

    /** True for the types {@link GgmlCodec} decodes to float32. */
    public boolean decodable() {
        return switch (this) {
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** True for the types {@link GgmlCodec} encodes from float32 exactly as ggml's reference quantizers do. */
    public boolean encodable() {
        return decodable();
    }

    /** ggml's name for the type ({@code q4_K}, {@code f16}), as ggml_type_name prints it. */
    public String ggmlName() {
        String n = name().toLowerCase(Locale.ROOT);
        return n.endsWith("_k") ? n.substring(0, n.length() - 2) + "_K" : n;
    }
}
