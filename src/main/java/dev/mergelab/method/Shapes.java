package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.Shape;

import java.util.Arrays;
import java.util.List;

/**
 * Shape alignment for the method layer (METHODS.md §1 Shapes). Inputs normally agree; embeddings and
 * lm_head may differ (added tokens) and are cut to a common top-left submatrix. Cutting copies; the
 * caller's arrays are never touched.
 */
public final class Shapes {

    private Shapes() {
    }

    /** The inputs' data (in input order) cut to one common shape. */
    public record Aligned(long[] shape, float[][] data) {
        public int numel() {
            return data.length == 0 ? 0 : data[0].length;
        }
    }

    /** Number of elements ({@link Shape#numel}). */
    public static long numel(long[] shape) {
        return Shape.numel(shape);
    }

    /** Length of the last dimension (a row); a 1-D tensor is one row, a scalar one element. */
    public static int rowLength(long[] shape) {
        return Math.toIntExact(Shape.rowLength(shape));
    }

    /**
     * The common shape of all inputs: their shape when they agree, the element-wise minimum for
     * embeddings of equal rank, otherwise an error naming both models.
     */
    public static long[] commonShape(String method, TensorMerge job) {
        List<TensorInput> in = job.inputs();
        if (in.isEmpty()) {
            throw MergeLabException.input(method + ": no input tensors for " + job.tensorName());
        }
        long[] common = in.getFirst().shape().clone();
        for (TensorInput x : in) {
            if (Arrays.equals(x.shape(), common)) {
                continue;
            }
            if (!job.isEmbed() || x.shape().length != common.length) {
                throw MergeLabException.input(method + ": tensor " + job.tensorName() + " has shape "
                                + Arrays.toString(in.getFirst().shape()) + " in " + in.getFirst().model() + " but "
                                + Arrays.toString(x.shape()) + " in " + x.model(),
                        "only embeddings and lm_head may differ in shape between models");
            }
            for (int d = 0; d < common.length; d++) {
                common[d] = Math.min(common[d], x.shape()[d]);
            }
        }
        return common;
    }

    /** All inputs cut to {@link #commonShape}, in input order. */
    public static Aligned aligned(String method, TensorMerge job) {
        long[] shape = commonShape(method, job);
        float[][] data = new float[job.inputs().size()][];
        for (int i = 0; i < data.length; i++) {
            TensorInput x = job.inputs().get(i);
            data[i] = cut(x.data(), x.shape(), shape);
        }
        return new Aligned(shape, data);
    }

    /**
     * The top-left (leading-corner) block of {@code target} shape from a tensor of {@code shape}; the same
     * array when nothing is cut. Every target dimension must be ≤ the source's.
     */
    public static float[] cut(float[] data, long[] shape, long[] target) {
        if (Arrays.equals(shape, target)) {
            return data;
        }
        if (shape.length != target.length) {
            throw new IllegalArgumentException("rank mismatch " + Arrays.toString(shape) + " vs " + Arrays.toString(target));
        }
        int rank = shape.length;
        for (int d = 0; d < rank; d++) {
            if (target[d] > shape[d]) {
                throw new IllegalArgumentException("cannot cut " + Arrays.toString(shape) + " to " + Arrays.toString(target));
            }
        }
        float[] out = new float[Math.toIntExact(numel(target))];
        if (out.length == 0) {
            return out;
        }
        // Copy contiguous runs of the last dimension; walk the leading indices like an odometer.
        int run = Math.toIntExact(target[rank - 1]);
        long[] idx = new long[rank];
        int dst = 0;
        while (dst < out.length) {
            long src = 0;
            for (int d = 0; d < rank; d++) {
                src = src * shape[d] + idx[d];
            }
            System.arraycopy(data, Math.toIntExact(src), out, dst, run);
            dst += run;
            for (int d = rank - 2; d >= 0; d--) {
                if (++idx[d] < target[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }
}
