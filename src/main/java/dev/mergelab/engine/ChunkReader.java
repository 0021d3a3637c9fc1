package dev.mergelab.engine;

import dev.mergelab.format.PageHints;
import dev.mergelab.model.TensorPatch;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Decodes row chunks of a job's inputs, straight from their mmapped bytes, cut to the output shape (an
 * embedding with extra vocabulary rows or columns gives only its top-left block). Buffers are reused for
 * every chunk, so a tensor of any size needs {@code inputs × chunk} floats of heap.
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
    private final long[][] shapes;
    private final int rowLength;
    private final long rows;
    private final int chunkRows;
    private final float[][] buffers;
    /** LoRA-patched inputs: the low-rank change added to each chunk after decoding (null when plain). */
    private final TensorPatch.RowPatcher[] patchers;
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
        this.shapes = new long[refs.length][];
        this.buffers = new float[refs.length][chunkRows * rowLength];
        this.patchers = new TensorPatch.RowPatcher[refs.length];
        this.releasedTo = new long[refs.length];
        this.vocab = job.vocabRows() >= 0 ? VocabularyRows.of(job) : null;
        for (int i = 0; i < refs.length; i++) {
            refs[i] = job.inputs().get(i).ref();
            shapes[i] = refs[i].shape();
            if (refs[i].isPatched()) {
                patchers[i] = refs[i].patch().rows();
            }
        }
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
            long inRowLength = shapes[i].length == 0 ? 1 : shapes[i][shapes[i].length - 1];
            // With a tokenizer source an input may have fewer rows than the output: read only its own.
            long held = vocab == null ? rows : vocab.held(i);
            int own = (int) Math.max(0, Math.min(n, held - row));
            if (inRowLength != rowLength) {
                for (int r = 0; r < own; r++) {
                    Codecs.decode(refs[i].dtype(), refs[i].data(), (row + r) * inRowLength, buffers[i], r * rowLength, rowLength);
                }
            } else if (own > 0) {
                Codecs.decode(refs[i].dtype(), refs[i].data(), row * rowLength, buffers[i], 0, own * rowLength);
            }
            if (patchers[i] != null && own > 0) {
                patchers[i].apply(buffers[i], row, own);
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
