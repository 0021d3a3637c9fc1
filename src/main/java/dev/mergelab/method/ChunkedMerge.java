package dev.mergelab.method;

/**
 * One tensor's merge computed in passes over row-aligned chunks, so a tensor of any size merges in
 * bounded memory and inputs are read straight from their mmapped bytes (DESIGN.md, "statistics then
 * combine"). A "row" is a slice along the last dimension of the output shape; a 1-D tensor is one row.
 *
 * <p>The engine calls, for {@code pass = 0 .. statisticPasses()-1}: {@link #observe} for every chunk in
 * row order, then {@link #endPass}; then {@link #combine} for every chunk in row order. Each call gets
 * the rows {@code [rowStart, rowStart + rows)} of every input, already cut to the output shape
 * (embeddings of different vocabulary sizes), in {@link TensorMerge#inputs()} order. The arrays are
 * reused between calls and must not be kept. Results must not depend on the chunk size beyond float
 * rounding of reductions (which accumulate in double), and random draws must depend only on the
 * element's position, so output bytes never depend on how the engine chunks or schedules.
 */
public interface ChunkedMerge {

    /** Statistics passes before the combine pass: 0 for element-wise methods. */
    int statisticPasses();

    /**
     * Heap this merge may hold besides the engine's chunk buffers (per-tensor statistics, samples,
     * caches), which the engine counts against its memory budget together with the buffers.
     */
    default long stateBytes() {
        return 0;
    }

    /** Accumulates statistics of pass {@code pass} over one chunk. */
    void observe(int pass, long rowStart, int rows, float[][] inputs);

    /** Called once after the last chunk of pass {@code pass}. */
    default void endPass(int pass) {
    }

    /** Writes the output rows {@code [rowStart, rowStart + rows)} into {@code out[0 .. rows*rowLength)}. */
    void combine(long rowStart, int rows, float[][] inputs, float[] out);
}
