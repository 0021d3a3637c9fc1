package dev.mergelab.model;

/**
 * A computed change to a stored tensor, applied after decoding: a {@link TensorRef} that carries one
 * stands for "these bytes, then this patch" (for example a base weight plus a LoRA adapter's low-rank
 * product). Keeping the change lazy means an adapted model costs no memory or time until a job decodes
 * the tensor, and only that job's working set holds the result.
 */
public interface TensorPatch {

    /** Adds the change in place to {@code decoded}, the stored tensor decoded to float32 (row-major). */
    void applyTo(float[] decoded);

    /** Extra heap the patch needs while it runs (decoded factors), for the executor's memory budget. */
    long workingBytes();

    /** One line for --dry-run and model cards, e.g. "lora r=16 scale=2". */
    String describe();

    /**
     * A patcher for row chunks of the stored tensor (its last dimension is the row), so a patched tensor
     * merges in bounded memory like any other: one per job, it may keep decoded factors between chunks.
     */
    RowPatcher rows();

    /** Applies the change to consecutive rows of the decoded stored tensor. */
    interface RowPatcher {
        /** Adds the change to {@code rows[0 .. n·rowLength)}, the decoded rows {@code [rowStart, rowStart + n)}. */
        void apply(float[] rows, long rowStart, int n);
    }
}
