package dev.mergelab.method;

/**
 * One tensor's merge computed in passes over row-aligned chunks, so a tensor of any size merges in
 * bounded memory and inputs are read straight from their mmapped bytes (DESIGN.md, "statistics then
 * combine"). A "row" is a slice along the last dimension of the output shape; a 1-D tensor is one row.
 *
 * <p>The engine calls, for {@code pass = 0 .. statisticPasses()-1}: {@link #observe} for every chunk in
 * row order (or the first chunk, then the others in any order on several threads through
 * {@link #observer}s), then {@link #endPass}; then {@link #combine} for every chunk in row order, or in
 * any order on several threads through {@link #combiner}s. Each call gets
 * the rows {@code [rowStart, rowStart + rows)} of every input, already cut to the output shape
 * (embeddings of different vocabulary sizes), in {@link TensorMerge#inputs()} order. The arrays are
 * reused between calls and must not be kept. Results must not depend on the chunk size beyond float
 * rounding of reductions (which accumulate in double), and random draws must depend only on the
 * element's position, so output bytes never depend on how the engine chunks or schedules.
 */
public interface ChunkedMerge {

    /**
     * Statistics passes before the combine pass: 0 for element-wise methods. Read before each pass: it
     * may drop once a pass has ended (statistics that made a later pass unnecessary).
     */
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

    /**
     * During statistics pass {@code pass}, after this merge observed the pass's first chunk (rows from
     * 0): a merge that observes other chunks of the pass, in any order and on another thread, into
     * statistics of its own that {@link #absorb} adds to this one's exactly, so the statistics (and
     * the output) are those of the one-thread pass however the chunks were shared; or null (the
     * default) when the pass must see the chunks in row order on one thread. Chunks are the same rows
     * as in the one-thread pass.
     */
    default ChunkedMerge observer(int pass) {
        return null;
    }

    /** Adds what an {@link #observer} of pass {@code pass} gathered, before {@link #endPass}; in any order. */
    default void absorb(int pass, ChunkedMerge observer) {
        throw new IllegalStateException(getClass().getSimpleName() + " hands out no observers");
    }

    /** Called once after the last chunk of pass {@code pass}. */
    default void endPass(int pass) {
    }

    /** Writes the output rows {@code [rowStart, rowStart + rows)} into {@code out[0 .. rows*rowLength)}. */
    void combine(long rowStart, int rows, float[][] inputs, float[] out);

    /**
     * After the last statistics pass: a merge that combines any chunk exactly as this one does, sharing
     * this one's statistics but none of its scratch, so the engine can combine chunks on several threads
     * and in any order; or null (the default) when the combine pass must see the chunks in row order on
     * one thread. A merge without statistics passes needs no combiner: the engine plans it again.
     */
    default ChunkedMerge combiner() {
        return null;
    }
}
