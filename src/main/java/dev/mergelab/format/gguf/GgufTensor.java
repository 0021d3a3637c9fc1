package dev.mergelab.format.gguf;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.tensor.DType;

/**
 * One tensor info of a GGUF file: name, ggml type, dimensions in ggml's order ({@code ne[0]} is the row,
 * the fastest-varying dimension) and the byte range relative to the data section.
 */
public record GgufTensor(String name, GgmlType type, long[] ne, long offset, long byteSize) {

    public GgufTensor {
        ne = ne.clone();
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    /** Elements in one row ({@code ne[0]}; 1 for a tensor without dimensions). */
    public long rowLength() {
        return ne.length == 0 ? 1 : ne[0];
    }

    /** Number of elements. */
    public long numel() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }

    /** Row-major shape, outermost first (the reverse of {@code ne}), as PyTorch and safetensors write it. */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            s[i] = ne[ne.length - 1 - i];
        }
        return s;
    }

    /**
     * The tensor as a {@link TensorInfo}: row-major shape, byte range in the data section, and the dtype
     * its values decode to: the same for F32, F16, BF16, F64 and the integer types (stored verbatim), F32 for
     * the block-quantized types (decoded to float32).
     */
    public TensorInfo info() {
        return new TensorInfo(name, dtype(type), shape(), offset, offset + byteSize);
    }

    /** The element dtype a ggml type's bytes are, or F32 for block types (see {@link #info}). */
    static DType dtype(GgmlType type) {
        return switch (type) {
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            case F64 -> DType.F64;
            case I8 -> DType.I8;
            case I16 -> DType.I16;
            case I32 -> DType.I32;
            case I64 -> DType.I64;
            default -> DType.F32;
        };
    }

    /** True when the stored bytes are plain little-endian elements of {@link #dtype}. */
    static boolean verbatim(GgmlType type) {
        return type.blockSize == 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && t.name.equals(name) && t.type == type && java.util.Arrays.equals(t.ne, ne)
                && t.offset == offset && t.byteSize == byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + java.util.Arrays.hashCode(ne);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + java.util.Arrays.toString(ne);
    }
}
