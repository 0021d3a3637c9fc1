package dev.mergelab.infer;

import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufTensor;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.gguf.GgufModelFile;
import dev.mergelab.tensor.MatrixKernels;
import dev.mergelab.tensor.ParallelRows;
import dev.mergelab.tensor.QuantKernels;
import dev.mergelab.tensor.QuantMatrix;
import dev.mergelab.tensor.QuantType;
import dev.mergelab.tensor.RowMatrix;

/**
 * The {@link MatMul} of the forward pass: {@link MatrixKernels#matvec} for one token, {@link MatrixKernels#matmul}
 * for a batch, reading F32/F16/BF16 weights in place from the mapped file (never copied to float32), the output
 * rows split across {@link Workers} by {@link ParallelRows}. The kernels give every output the same bits whatever
 * its row range and whichever of the two is used, so logits depend neither on the thread count nor on whether a
 * token came in a prefill or alone.
 *
 * <p>A GGUF weight stored as Q8_0, Q4_0, Q4_K or Q6_K blocks (of a raw {@link GgufFile}, or of a GGUF opened as a
 * model, whose permuted q/k blocks are reordered once into Transformers' row order: {@link GgufModelFile#blockMatrix}) is
 * multiplied in place by {@link QuantKernels}
 * ({@link QuantMatrix}): each block is dequantized in registers (or a few blocks into an L1 buffer) as ggml does,
 * never the whole matrix, and the result has the bits of the F32 product of the dequantized matrix.
 *
 * <p>A weight whose stored bytes are not its value (a LoRA-patched {@code BASE+ADAPTER} ref, a non-verbatim
 * layout) is read a block of rows at a time through {@link TensorRef#rowReader} (which applies the patch) and
 * each row dotted with {@link MatrixKernels#dot}, the same summation order as the kernels.
 */
public final class KernelMatMul implements MatMul {

    /** Rows decoded at once on the patched path (per task): a few hundred KiB at most. */
    private static final int DECODE_BLOCK = 16;

    private final Workers workers;

    public KernelMatMul(Workers workers) {
        this.workers = workers;
    }

    @Override
    public void multiply(TensorRef weight, float[] x, int tokens, float[] y) {
        long[] shape = weight.shape();
        int out = Math.toIntExact(shape[0]);
        int in = Math.toIntExact(shape[1]);
        QuantMatrix q = quantized(weight, out, in);
        if (q != null) {
            if (tokens == 1) {
                workers.rows(out, (from, to) -> QuantKernels.matvec(q, x, 0, y, from, from, to));
            } else {
                workers.rows(out, (from, to) -> QuantKernels.matmul(q, x, tokens, y, out, from, to));
            }
            return;
        }
        if (!weight.isVerbatim()) {
            decodingMultiply(weight, out, in, x, tokens, y);
            return;
        }
        RowMatrix w = new RowMatrix(weight.data(), weight.dtype(), out, in);
        if (tokens == 1) {
            workers.rows(out, (from, to) -> MatrixKernels.matvec(w, x, 0, y, from, from, to));
        } else {
            workers.rows(out, (from, to) -> MatrixKernels.matmul(w, x, tokens, y, out, from, to));
        }
    }

    /**
     * The weight as a matrix of ggml blocks the quantized kernels read, or null: an unpatched 2-D tensor of a GGUF
     * file stored in one of the {@link QuantType}s (its rows are {@code in} elements of whole blocks, one after the
     * other, as GGUF stores a tensor with {@code ne[0] = in}).
     */
    static QuantMatrix quantized(TensorRef weight, int out, int in) {
        if (weight.isPatched()) {
            return null;
        }
        if (weight.file() instanceof GgufModelFile model) { // a GGUF opened as a model: its blocks in Transformers' row order
            GgufModelFile.BlockMatrix blocks = model.blockMatrix(weight.info());
            QuantType type = blocks == null ? null : QuantType.ofGgmlName(blocks.type().name());
            if (type == null || in % type.blockSize != 0) {
                return null;
            }
            return new QuantMatrix(blocks.data(), type, out, in);
        }
        if (!(weight.file() instanceof GgufFile gguf)) {
            return null;
        }
        GgufTensor t = gguf.ggufTensor(weight.name());
        QuantType type = t == null ? null : QuantType.ofGgmlName(t.type().name());
        if (type == null || t.ne().length != 2 || in % type.blockSize != 0) {
            return null;
        }
        return new QuantMatrix(weight.data(), type, out, in);
    }

    private void decodingMultiply(TensorRef weight, int out, int in, float[] x, int tokens, float[] y) {
        workers.rows(out, (from, to) -> {
            TensorRef.RowReader reader = weight.rowReader();
            float[] rows = new float[Math.multiplyExact(DECODE_BLOCK, in)];
            for (int r = from; r < to; r += DECODE_BLOCK) {
                int count = Math.min(DECODE_BLOCK, to - r);
                reader.read(r, count, rows, 0);
                for (int j = 0; j < count; j++) {
                    for (int t = 0; t < tokens; t++) {
                        y[t * out + r + j] = MatrixKernels.dot(rows, j * in, x, t * in, in);
                    }
                }
            }
        });
    }
}
