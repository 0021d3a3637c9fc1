package dev.mergelab.tensor;

/**
 * Shape arithmetic every layer shares, written once: the element count and the row view of a row-major
 * tensor. A row is the last dimension (a 2-D weight's row, an embedding's vector); a 1-D tensor is one
 * row and a scalar (shape []) one row of one element. Weight files decode by rows
 * ({@code format.WeightFile#decodeRows}) and chunked merges read rows, so both take their rows from here.
 */
public final class Shape {

    private Shape() {
    }

    /**
     * Number of elements (1 for a scalar), throwing {@link ArithmeticException} on overflow. Shapes read
     * from files are validated with this rule before anyone computes with them.
     */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Length of one row: the last dimension, or 1 for a scalar. */
    public static long rowLength(long[] shape) {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /**
     * Number of rows: the product of every dimension but the last, so 1 for a 1-D tensor or a scalar. A
     * tensor whose rows are empty (last dimension 0) still has that many rows, each of no elements.
     */
    public static long rows(long[] shape) {
        long n = 1;
        for (int d = 0; d < shape.length - 1; d++) {
            n = Math.multiplyExact(n, shape[d]);
        }
        return n;
    }
}
