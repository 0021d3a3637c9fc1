package dev.mergelab.method.kernel;

/**
 * The 1-D slices ("lanes") of a C-order tensor along one dimension, without copying: lane {@code l}
 * holds elements {@code offset(l) + k·stride} for k in [0, length). Row-wise methods use the last
 * dimension; nuslerp's inverted {@code row_wise} and della's ranking use dimension 0 or 1.
 */
public record Lanes(int count, int length, int stride) {

    /** Lanes along {@code dim} of {@code shape}; a 0-D or 1-D tensor is one lane. */
    public static Lanes along(long[] shape, int dim) {
        if (shape.length <= 1) {
            int n = shape.length == 0 ? 1 : Math.toIntExact(shape[0]);
            return new Lanes(n == 0 ? 0 : 1, n, 1);
        }
        if (dim < 0) {
            dim += shape.length;
        }
        long inner = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        long outer = 1;
        for (int d = 0; d < dim; d++) {
            outer *= shape[d];
        }
        return new Lanes(Math.toIntExact(outer * inner), Math.toIntExact(shape[dim]), Math.toIntExact(inner));
    }

    /** The whole tensor as a single lane. */
    public static Lanes flat(int n) {
        return new Lanes(n == 0 ? 0 : 1, n, 1);
    }

    public int offset(int lane) {
        int outer = lane / stride;
        int inner = lane % stride;
        return outer * length * stride + inner;
    }
}
