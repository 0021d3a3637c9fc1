package dev.mergelab.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.gguf.GgmlCodec;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufWriter;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.MatrixKernels;
import dev.mergelab.tensor.QuantType;
import dev.mergelab.tensor.RowMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF weights stored as Q8_0, Q4_0, Q4_K and Q6_K go through the quantized kernels (blocks read in place from the
 * mapping) and give, bit for bit, the F32 product of the matrix GgmlCodec dequantizes (ggml's dequantize_row_*,
 * checked against ggml itself in GgmlCodecReferenceTest), for one token and for a batch, on any thread count.
 * The blocks are what ggml's reference quantizers write (GgmlCodec.encode).
 */
class QuantizedMatMulTest {

    static final GgmlType[] KERNEL_TYPES = {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K};

    @Test
    void quantizedWeightsMultiplyAsTheirDequantizedValues(@TempDir Path dir) throws Exception {
        int rows = 37;
        int cols = 512 + 256;
        Random r = new Random(42);
        List<GgufWriter.Entry> entries = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        List<GgmlType> types = new ArrayList<>(List.of(KERNEL_TYPES));
        types.add(GgmlType.Q5_K); // no quantized kernel: the decoding path, same numbers
        for (GgmlType type : types) {
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * 0.02);
            }
            byte[] bytes = new byte[(int) type.rowBytes((long) rows * cols)];
            GgmlCodec.encode(type, w, 0, bytes, 0, rows * cols);
            entries.add(GgufWriter.Entry.ofShape("w." + type, type, new long[] {rows, cols}));
            data.add(bytes);
        }
        Path file = dir.resolve("q.gguf");
        GgufWriter.write(file, Map.of(), entries, data);

        float[] x = new float[5 * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        try (GgufFile gguf = GgufFile.open(file); Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < types.size(); i++) {
                GgmlType type = types.get(i);
                TensorInfo info = gguf.tensor("w." + type);
                TensorRef ref = new TensorRef(gguf, info);
                if (type == GgmlType.Q5_K) {
                    assertNull(KernelMatMul.quantized(ref, rows, cols), "Q5_K has no quantized kernel");
                } else {
                    assertNotNull(KernelMatMul.quantized(ref, rows, cols), type + " takes the quantized kernels");
                    assertEquals(QuantType.ofGgmlName(type.name()), KernelMatMul.quantized(ref, rows, cols).type());
                }
                // the reference: ggml's dequantization, then the F32 kernels
                float[] dq = new float[rows * cols];
                GgmlCodec.decode(type, data.get(i), 0, dq, 0, rows * cols);
                MemorySegment m = arena.allocate(4L * dq.length);
                MemorySegment.copy(dq, 0, m, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, dq.length);
                RowMatrix f32 = new RowMatrix(m, DType.F32, rows, cols);
                float[] want = new float[5 * rows];
                MatrixKernels.matmul(f32, x, 5, want, rows, 0, rows);
                for (int threads = 1; threads <= 3; threads++) {
                    try (Workers workers = new Workers(threads)) {
                        KernelMatMul mm = new KernelMatMul(workers);
                        float[] batch = new float[5 * rows];
                        mm.multiply(ref, x, 5, batch);
                        assertBits(want, batch, type + " batch, " + threads + " threads");
                        float[] one = new float[rows];
                        mm.multiply(ref, java.util.Arrays.copyOfRange(x, 3 * cols, 4 * cols), 1, one);
                        assertBits(java.util.Arrays.copyOfRange(want, 3 * rows, 4 * rows), one, type + " one token, " + threads + " threads");
                    }
                }
            }
        }
    }

    static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + " at " + i + ": " + got[i] + " != " + want[i]);
            }
        }
    }
}
