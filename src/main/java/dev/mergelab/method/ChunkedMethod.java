package dev.mergelab.method;

/**
 * A merge method written once, in the chunked form: {@link #plan} builds its {@link ChunkedMerge}, the
 * engine drives that for tensors of any size, and the whole-tensor {@link #merge} drives the very same
 * code over in-memory arrays ({@link Chunking#merge}), so the golden tests validate the chunked path.
 */
public interface ChunkedMethod extends MergeMethod {

    /**
     * The chunked merge for the tensor {@code header} describes (shapes and parameters; data may be
     * null). Checks parameters and shapes and emits warnings, as {@link #merge} would. Never null.
     */
    ChunkedMerge plan(TensorMerge header);

    /**
     * True when the plan needs the whole tensor as one chunk (a statistic that spans rows and cannot be
     * accumulated in O(rows) state); then {@link #chunked} is null and the engine merges in memory.
     */
    default boolean wholeTensorOnly(TensorMerge header) {
        return false;
    }

    @Override
    default ChunkedMerge chunked(TensorMerge header) {
        return wholeTensorOnly(header) ? null : plan(header);
    }

    @Override
    default float[] merge(TensorMerge job) {
        return Chunking.merge(this, job, 0);
    }
}
