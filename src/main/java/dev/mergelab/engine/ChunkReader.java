package dev.mergelab.engine;

import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import java.util.Arrays;

/**
 * Decodes row chunks of a job's inputs, straight from their mmapped bytes, cut to the output shape (an
 * embedding with extra vocabulary rows or columns gives only its top-left block). Buffers are reused for
 * every chunk, so a tensor of any size needs {@code inputs × chunk} floats of heap.
 */
final class ChunkReader {

    private final TensorRef[] refs;
    private final long[][] shapes;
    private final int rowLength;
    private final long rows;
    private final int chunkRows;
    private final float[][] buffers;

    ChunkReader(TensorJob job, int chunkElements) {
        long[] out = job.outShape();
        this.rowLength = out.length == 0 ? 1 : Math.toIntExact(out[out.length - 1]);
        this.rows = rowLength == 0 ? 0 : job.outNumel() / rowLength;
        // A 1-D tensor is one row and so one chunk: methods treat a row as a unit (della ranks, softmax rows).
        this.chunkRows = (int) Math.max(1, Math.min(rows, Math.max(1, chunkElements / Math.max(1, rowLength))));
        this.refs = new TensorRef[job.inputs().size()];
        this.shapes = new long[refs.length][];
        this.buffers = new float[refs.length][chunkRows * rowLength];
        for (int i = 0; i < refs.length; i++) {
            refs[i] = job.inputs().get(i).ref();
            shapes[i] = refs[i].shape();
        }
    }

    /**
     * True when no input is LoRA-patched and every input either has the output shape or is a 2-D tensor at least as large in both
     * dimensions (the embedding case); other mismatches are left to the whole-tensor path's errors.
     */
    static boolean canRead(TensorJob job) {
        if (job.vocabRows() >= 0) {
            return false; // rows a parent lacks are filled by VocabularyRows on whole tensors
        }
        long[] out = job.outShape();
        for (PlannedInput in : job.inputs()) {
            if (in.ref().isPatched()) {
                return false; // a LoRA-patched weight is computed whole (TensorRef.decodeInto), not read from bytes
            }
            long[] s = in.ref().shape();
            if (Arrays.equals(s, out)) {
                continue;
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
        int n = (int) Math.min(chunkRows, rows - row);
        for (int i = 0; i < refs.length; i++) {
            long inRowLength = shapes[i].length == 0 ? 1 : shapes[i][shapes[i].length - 1];
            if (inRowLength == rowLength) {
                Codecs.decode(refs[i].dtype(), refs[i].data(), row * rowLength, buffers[i], 0, n * rowLength);
            } else {
                for (int r = 0; r < n; r++) {
                    Codecs.decode(refs[i].dtype(), refs[i].data(), (row + r) * inRowLength, buffers[i], r * rowLength, rowLength);
                }
            }
        }
        return n;
    }
}
