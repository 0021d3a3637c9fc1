package dev.mergelab.method;

/**
 * Base of the methods' chunked merges: the row length of the output shape, so a chunk of
 * {@code rows} rows starting at row {@code rowStart} is the elements [rowStart·rowLength, +rows·rowLength).
 */
abstract class RowMerge implements ChunkedMerge {

    final int rowLength;

    RowMerge(long[] shape) {
        this.rowLength = Chunking.rowLength(shape);
    }

    @Override
    public int statisticPasses() {
        return 0;
    }

    @Override
    public void observe(int pass, long rowStart, int rows, float[][] inputs) {
        throw new IllegalStateException(getClass().getSimpleName() + " has no statistics pass " + pass);
    }

    /** Flat position of the first element of row {@code rowStart}. */
    final long position(long rowStart) {
        return rowStart * rowLength;
    }

    /** Input {@code input} copied unchanged (a lone input, or no model besides the base). */
    static ChunkedMerge copyOf(long[] shape, int input) {
        return new RowMerge(shape) {
            @Override
            public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
                System.arraycopy(inputs[input], 0, out, 0, rows * rowLength);
            }
        };
    }

    /** Grows a per-chunk scratch buffer to hold n elements. */
    static float[] grow(float[] buf, int n) {
        return buf != null && buf.length >= n ? buf : new float[n];
    }
}
