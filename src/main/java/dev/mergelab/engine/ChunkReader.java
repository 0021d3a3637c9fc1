package dev.mergelab.engine;

import dev.mergelab.format.PageHints;
import dev.mergelab.model.TensorRef;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Decodes row chunks of a job's inputs through their {@link TensorRef.RowReader}s (LoRA-patched inputs
 * patched chunk by chunk), cut to the output shape (an embedding with extra vocabulary rows or columns
 * gives only its top-left block). Buffers are reused for every chunk, so a tensor of any size needs
 * {@code inputs × chunk} floats of heap.
 *
 * <p>Reading with {@code releaseBehind} drops the mapped pages already decoded from the resident set
 * every {@value #RELEASE_STEP} bytes of an input, so the pages a job keeps mapped stay bounded however
 * large the tensor (a 7B embedding is 1 GB over four inputs). The bytes stay in the page cache; a later
 * pass over them maps them again with cheap minor faults.
 */
final class ChunkReader {

    /** Release decoded pages in steps of this many bytes per input: few madvise calls, each a TLB flush. */
    static final long RELEASE_STEP = 8L << 20;

    private final TensorRef[] refs;
    /** Per input, its row reader (which keeps a LoRA patch's decoded factors for the whole job). */
    private final TensorRef.RowReader[] readers;
    /** Per input, its row length: longer than the output's when columns are cut off. */
    private final long[] inRowLengths;
    private final int rowLength;
    private final long rows;
    private final int chunkRows;
    private final float[][] buffers;
    /** One whole input row, for inputs whose rows are cut to the output's (empty when none are). */
    private final float[] wideRow;
    /** Per input, the byte offset below which its pages were released in this pass. */
    private final long[] releasedTo;
    /** For a job with a tokenizer source's vocabulary: fills the rows an input lacks (null otherwise). */
    private final VocabularyRows vocab;

    ChunkReader(TensorJob job, int chunkElements) {
        long[] out = job.outShape();
        this.rowLength = out.length == 0 ? 1 : Math.toIntExact(out[out.length - 1]);
        this.rows = rowLength == 0 ? 0 : job.outNumel() / rowLength;
        // A 1-D tensor is one row and so one chunk: methods treat a row as a unit (della ranks, softmax rows).
        this.chunkRows = (int) Math.max(1, Math.min(rows, Math.max(1, chunkElements / Math.max(1, rowLength))));
        this.refs = new TensorRef[job.inputs().size()];
        this.readers = new TensorRef.RowReader[refs.length];
        this.inRowLengths = new long[refs.length];
        this.buffers = new float[refs.length][chunkRows * rowLength];
        this.releasedTo = new long[refs.length];
        this.vocab = job.vocabRows() >= 0 ? VocabularyRows.of(job) : null;
        long widest = rowLength;
        for (int i = 0; i < refs.length; i++) {
            refs[i] = job.inputs().get(i).ref();
            readers[i] = refs[i].rowReader();
            inRowLengths[i] = refs[i].rowLength();
            widest = Math.max(widest, inRowLengths[i]);
        }
        this.wideRow = new float[widest > rowLength ? Math.toIntExact(widest) : 0];
    }

    /**
     * True when every input either has the output shape or is a 2-D tensor at least as large in both
     * dimensions (the embedding case, for unpatched inputs); other mismatches are left to the whole-tensor
     * path's errors. LoRA-patched inputs are patched chunk by chunk. A job resized to a tokenizer
     * source's vocabulary is readable when its inputs are matrices of the output's row length.
     */
    static boolean canRead(TensorJob job) {
        long[] out = job.outShape();
        if (job.vocabRows() >= 0) {
            // Rows past the output vocabulary are not read; rows an input lacks are filled chunk by chunk.
            for (PlannedInput in : job.inputs()) {
                long[] s = in.ref().shape();
                if (s.length != 2 || out.length != 2 || s[1] != out[1]) {
                    return false;
                }
            }
            return true;
        }
        for (PlannedInput in : job.inputs()) {
            long[] s = in.ref().shape();
            if (Arrays.equals(s, out)) {
                continue;
            }
            if (in.ref().isPatched()) {
                return false; // a LoRA patch covers whole rows: a cut (vocabulary) block takes the whole-tensor path
            }
            if (s.length != 2 || out.length != 2 || s[0] < out[0] || s[1] < out[1]) {
                return false;
            }
        }
        return true;
    }

    long rows() {
        return rows;
    }

    int chunkRows() {
        return chunkRows;
    }

    int rowLength() {
        return rowLength;
    }

    float[][] buffers() {
        return buffers;
    }

    /** Decodes rows {@code [row, row + n)} of every input into the buffers; returns n. */
    int read(long row) {
        return read(row, false);
    }

    /**
     * Decodes rows {@code [row, row + n)} of every input into the buffers; returns n. With
     * {@code releaseBehind}, pages before this chunk are released once a step's worth has been decoded;
     * a pass that starts again from row 0 starts releasing afresh.
     */
    int read(long row, boolean releaseBehind) {
        int n = (int) Math.min(chunkRows, rows - row);
        for (int i = 0; i < refs.length; i++) {
            long inRowLength = inRowLengths[i];
            // With a tokenizer source an input may have fewer rows than the output: read only its own.
            long held = vocab == null ? rows : vocab.held(i);
            int own = (int) Math.max(0, Math.min(n, held - row));
            if (inRowLength == rowLength) {
                if (own > 0) {
                    readers[i].read(row, own, buffers[i], 0);
                }
            } else {
                // Columns cut off (never a patched input: canRead): whole input rows, their first rowLength values kept.
                for (int r = 0; r < own; r++) {
                    readers[i].read(row + r, 1, wideRow, 0);
                    System.arraycopy(wideRow, 0, buffers[i], r * rowLength, rowLength);
                }
            }
            if (releaseBehind) {
                releaseBefore(i, Math.min(row, held) * inRowLength * refs[i].dtype().size());
            }
        }
        if (vocab != null) {
            vocab.fill(buffers, row, n);
        }
        return n;
    }

    /**
     * Releases the mapped pages of rows {@code [fromRow, toRow)} of every input, for a thread that read
     * them out of row order (a split combine pass). Pages shared with neighbouring rows fault back in.
     */
    void release(long fromRow, long toRow) {
        for (int i = 0; i < refs.length; i++) {
            // An input may hold fewer rows than the output (a tokenizer source's added vocabulary rows).
            long held = vocab == null ? rows : vocab.held(i);
            long from = Math.min(fromRow, held);
            long to = Math.min(toRow, held);
            long size = refs[i].dtype().size();
            PageHints.dontNeed(refs[i].data().asSlice(from * inRowLengths[i] * size, (to - from) * inRowLengths[i] * size));
        }
    }

    /** Releases input i's pages in [releasedTo, upTo) when that is a step or more (upTo: this chunk's first byte). */
    private void releaseBefore(int i, long upTo) {
        if (upTo < releasedTo[i]) {
            releasedTo[i] = 0;   // a new pass
        }
        if (upTo - releasedTo[i] >= RELEASE_STEP) {
            MemorySegment data = refs[i].data();
            PageHints.dontNeed(data.asSlice(releasedTo[i], upTo - releasedTo[i]));
            releasedTo[i] = upTo;
        }
    }
}
