package dev.mergelab.model;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.WeightFile;
import dev.mergelab.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * A lazily readable tensor of a model: where it lives and what it is. Nothing is read until someone
 * decodes it (the OS page cache is our cache); every read of its values goes through {@link #decodeRows},
 * {@link #rowReader} or {@link #decodeInto}, whatever format the {@link WeightFile} is.
 *
 * <p>A ref may carry a {@link TensorPatch} (a base weight with a LoRA adapter applied on the fly): then
 * its value is the stored tensor decoded <em>and then patched</em>, so its stored bytes are not its value
 * and must never be copied byte for byte ({@link #isPatched}).
 */
public record TensorRef(WeightFile file, TensorInfo info, TensorPatch patch) {

    /** A plain stored tensor. */
    public TensorRef(WeightFile file, TensorInfo info) {
        this(file, info, null);
    }

    /** True when the value is computed: the stored bytes are not the tensor's value. */
    public boolean isPatched() {
        return patch != null;
    }

    /** Decodes the whole tensor into {@code out} (length numel) and applies the patch if any. */
    public void decodeInto(float[] out) {
        file.decode(info, out, 0);
        if (patch != null) {
            patch.applyTo(out);
        }
    }

    /**
     * Decodes rows {@code [firstRow, firstRow + rows)} (a row is the last dimension; see
     * {@link WeightFile}) into {@code dst} from {@code dstOffset}, with the patch applied to exactly those
     * rows. A patched ref prepares its patch (decodes the LoRA factors) on every call: to read a tensor in
     * many chunks, take one {@link #rowReader()} and read through it.
     */
    public void decodeRows(long firstRow, int rows, float[] dst, int dstOffset) {
        rowReader().read(firstRow, rows, dst, dstOffset);
    }

    /** A reader of this tensor's rows that prepares the patch once, for one job's chunks (one thread). */
    public RowReader rowReader() {
        return new RowReader(this, patch == null ? null : patch.rows());
    }

    /** Rows of one tensor, patched when the tensor is; keeps the patch's decoded factors between reads. */
    public static final class RowReader {
        private final TensorRef ref;
        private final TensorPatch.RowPatcher patcher;
        private final int rowLength;
        /** A patcher writes from index 0; rows wanted further on are patched here first (rare). */
        private float[] staging = new float[0];

        private RowReader(TensorRef ref, TensorPatch.RowPatcher patcher) {
            this.ref = ref;
            this.patcher = patcher;
            this.rowLength = patcher == null ? 0 : Math.toIntExact(ref.info.rowLength());
        }

        /** Decodes rows {@code [firstRow, firstRow + rows)} into {@code dst} from {@code dstOffset}, patched. */
        public void read(long firstRow, int rows, float[] dst, int dstOffset) {
            if (patcher == null) {
                ref.file.decodeRows(ref.info, firstRow, rows, dst, dstOffset);
                return;
            }
            if (dstOffset == 0) {
                ref.file.decodeRows(ref.info, firstRow, rows, dst, 0);
                patcher.apply(dst, firstRow, rows);
                return;
            }
            int count = Math.multiplyExact(rows, rowLength);
            if (staging.length < count) {
                staging = new float[count];
            }
            ref.file.decodeRows(ref.info, firstRow, rows, staging, 0);
            patcher.apply(staging, firstRow, rows);
            System.arraycopy(staging, 0, dst, dstOffset, count);
        }
    }

    public String name() {
        return info.name();
    }

    public DType dtype() {
        return info.dtype();
    }

    public long[] shape() {
        return info.shape();
    }

    public long numel() {
        return info.numel();
    }

    /** Rows of the tensor (a 1-D tensor or a scalar is one row). */
    public long rows() {
        return info.rows();
    }

    /** Elements in one row: the last dimension (1 for a scalar). */
    public long rowLength() {
        return info.rowLength();
    }

    public long byteSize() {
        return info.byteSize();
    }

    /**
     * The mapped bytes holding the tensor ({@link WeightFile#bytes}): for page hints and I/O accounting;
     * for a verbatim copy only when {@link #isVerbatim}.
     */
    public MemorySegment data() {
        return file.bytes(info);
    }

    /**
     * True when {@link #data()} is the tensor's value, exactly as a safetensors output stores it: not
     * patched, and stored as plain elements ({@link WeightFile#isVerbatim}).
     */
    public boolean isVerbatim() {
        return patch == null && file.isVerbatim(info);
    }
}
