package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A {@code [rows, cols]} weight matrix stored as ggml quantization blocks ({@link QuantType}), row-major, read in
 * place (typically a view of a memory-mapped GGUF file): the quantized operand of {@link MatrixKernels}. Row
 * {@code r} is the {@code type.rowBytes(cols)} bytes from {@code r·type.rowBytes(cols)}.
 */
public record QuantMatrix(MemorySegment data, QuantType type, int rows, int cols) {

    public QuantMatrix {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape [" + rows + ", " + cols + "]");
        }
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("a " + type + " row is whole blocks of " + type.blockSize + " elements, not " + cols);
        }
        long bytes = rows * type.rowBytes(cols);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("a [" + rows + ", " + cols + "] " + type + " matrix takes " + bytes
                    + " bytes, the segment has " + data.byteSize());
        }
    }

    /** Byte offset of row {@code r}. */
    long rowOffset(int r) {
        return r * type.rowBytes(cols);
    }
}
