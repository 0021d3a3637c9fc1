package dev.mergelab.format;

import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.Shape;
import java.util.Arrays;

/**
 * One tensor entry of a safetensors header: name, dtype, shape, and its byte range relative to the
 * start of the data section ({@code begin} inclusive, {@code end} exclusive).
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    /** Number of elements (1 for a scalar of shape []). Validated not to overflow when read from a file. */
    public long numel() {
        return Shape.numel(shape);
    }

    /** Elements in one row, the last dimension (1 for a scalar); see {@link Shape}. */
    public long rowLength() {
        return Shape.rowLength(shape);
    }

    /** Number of rows: 1 for a 1-D tensor or a scalar; see {@link Shape}. */
    public long rows() {
        return Shape.rows(shape);
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && t.begin == begin && t.end == end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + shapeString();
    }
}
