package dev.mergelab.format;

import dev.mergelab.MergeLabException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One opened file of model weights, whatever its format: the tensors it holds and a way to decode their
 * values to float32. Everything that reads tensor values (merges, statistics, checks) goes through
 * {@link #decodeRows}, so a new format is one new implementation of this interface (opened by
 * {@link WeightFiles#open}) and nothing above it changes.
 *
 * <p><b>Rows are the unit of decoding.</b> A tensor's row is its last dimension (a 1-D tensor or a scalar
 * is one row; {@link TensorInfo#rows}). Rows, not element ranges or bytes, because that is the finest unit every
 * format we mean to read can decode on its own: safetensors stores plain little-endian elements (any
 * range would do), but a GGUF tensor is a sequence of quantization blocks that never straddle a row (a row
 * is decoded from whole blocks, and there are no float bytes to point at), and a PyTorch {@code .bin}
 * tensor is a strided view into a storage record (a row is one run of elements only when the last stride
 * is 1, and consecutive rows need not be adjacent). Callers that stream (chunked merges, task-vector
 * statistics, value checks) therefore read whole rows, and a row patch (a LoRA delta) applies to the same
 * unit.
 *
 * <p><b>Bytes are for the OS and verbatim copies, not for decoding.</b> {@link #bytes} is the mapped span
 * holding a tensor: page hints (read-ahead, releasing pages) and I/O accounting use it for every format.
 * Only when {@link #isVerbatim} says so are those bytes exactly the tensor's elements in row-major order in
 * its dtype's little-endian encoding, which is what copying them unchanged into a safetensors output
 * needs. Safetensors tensors always are; GGUF quantized tensors and strided torch tensors will not be.
 *
 * <p><b>Files can change under a mapping.</b> If another process truncates a mapped file, touching the
 * lost pages raises SIGBUS, which Java reports as an {@link InternalError} (implementations read mappings
 * only through {@code MemorySegment.copy} and the codecs, because a SIGBUS in JIT-compiled code kills
 * the JVM). Readers pass such a fault to {@link #checkUnchanged}, which turns it into a one-line
 * {@link MergeLabException} naming the file; a merge also calls it before publishing, so an input
 * rewritten in place is refused rather than merged half old, half new.
 *
 * <p>Implementations are thread-safe for reads (workers on every core decode from one file) and validate
 * the whole file layout on open, so the methods here fail only on programming errors (rows out of range),
 * or on the file changing underneath.
 */
public interface WeightFile extends AutoCloseable {

    /** The file this was opened from. */
    Path path();

    /** All tensors, in the order their bytes appear in the file. */
    List<TensorInfo> tensors();

    /** The tensor named {@code name}, or null. */
    TensorInfo tensor(String name);

    /** The file's free-form metadata (safetensors {@code __metadata__}); empty if it has none. */
    Map<String, String> metadata();

    /** Size of the file in bytes, as mapped. */
    long fileSize();

    /**
     * The mapped bytes holding {@code t}, zero-copy, valid until {@link #close()}: for page hints and I/O
     * accounting in any format; a verbatim copy of the tensor only when {@link #isVerbatim}.
     */
    MemorySegment bytes(TensorInfo t);

    /**
     * True when {@link #bytes} is exactly {@code t}'s elements, row-major, each in {@code t.dtype()}'s
     * little-endian encoding: the stored bytes may then be copied unchanged into a safetensors file.
     */
    boolean isVerbatim(TensorInfo t);

    /**
     * Decodes rows {@code [firstRow, firstRow + rows)} of {@code t} to float32 into
     * {@code dst[dstOffset, dstOffset + rows·rowLength)}. Throws {@link IndexOutOfBoundsException} when the
     * rows are not all inside the tensor or the destination range is not inside {@code dst}.
     */
    void decodeRows(TensorInfo t, long firstRow, int rows, float[] dst, int dstOffset);

    /**
     * Decodes the whole tensor into {@code dst[dstOffset, dstOffset + numel)}; the same values as
     * decoding all its rows.
     */
    default void decode(TensorInfo t, float[] dst, int dstOffset) {
        if (t.numel() == 0) {
            Objects.checkFromIndexSize(dstOffset, 0, dst.length);
            return; // no elements, perhaps many empty rows
        }
        decodeRows(t, 0, Math.toIntExact(t.rows()), dst, dstOffset);
    }

    /**
     * Decodes the tensor named {@code name} whole into a new array (tests and small tensors); a one-line
     * INPUT error when there is no such tensor or it has too many elements for one array.
     */
    default float[] readFloats(String name) {
        TensorInfo t = tensor(name);
        if (t == null) {
            throw MergeLabException.input(Untrusted.path(path()) + ": no tensor named '" + Untrusted.show(name) + "'", null);
        }
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw MergeLabException.input(Untrusted.path(path()) + ": tensor '" + Untrusted.show(name) + "' has " + n
                    + " elements, too many for one array", null);
        }
        float[] out = new float[(int) n];
        decode(t, out, 0);
        return out;
    }

    /**
     * Throws a one-line INPUT error naming the file if it is no longer the file that was opened (truncated,
     * grown, rewritten in place or replaced). {@code fault} is what reading the mapping threw, if anything
     * (kept as the cause); when the file is unchanged this returns normally and the caller rethrows its fault.
     */
    void checkUnchanged(Throwable fault);

    /** Unmaps the file: every segment from {@link #bytes} becomes invalid. */
    @Override
    void close();

    /**
     * Checks a {@link #decodeRows} request: the rows lie inside {@code t} and their elements fit in
     * {@code dst} from {@code dstOffset}. Returns the element count.
     */
    static int checkRows(TensorInfo t, long firstRow, int rows, float[] dst, int dstOffset) {
        Objects.checkFromIndexSize(firstRow, rows, t.rows());
        long count = rows * t.rowLength();
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        return (int) count;
    }
}
