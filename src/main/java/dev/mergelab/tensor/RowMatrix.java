package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A dense {@code [rows, cols]} weight matrix stored row-major, little-endian, in F32, F16 or BF16, read
 * in place (typically a view of a memory-mapped checkpoint): the operand of {@link MatrixKernels}.
 * Element {@code (r, k)} is at byte {@code (r·cols + k)·dtype.size()} of {@code data}.
 */
public record RowMatrix(MemorySegment data, DType dtype, int rows, int cols) {

    public RowMatrix {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("matrix kernels read F32, F16 or BF16 weights, not " + dtype);
        }
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape [" + rows + ", " + cols + "]");
        }
        long bytes = (long) rows * cols * dtype.size();
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("a [" + rows + ", " + cols + "] " + dtype + " matrix takes "
                    + bytes + " bytes, the segment has " + data.byteSize());
        }
    }

    /** Byte offset of element {@code (row, col)}. */
    long offset(int row, int col) {
        return ((long) row * cols + col) * dtype.size();
    }

    /** Element {@code (row, col)} as a float (exact: every F16 and BF16 value is a float). */
    public float get(int row, int col) {
        long at = offset(row, col);
        return switch (dtype) {
            case F32 -> data.get(Codecs.F32, at);
            case F16 -> Codecs.f16ToFloat(data.get(Codecs.I16, at));
            default -> Codecs.bf16ToFloat(data.get(Codecs.I16, at));
        };
    }
}
