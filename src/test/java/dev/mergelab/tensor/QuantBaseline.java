package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Benchmark baseline only: the quantized matvec as it was before the kernels were tuned (commit 09dbcd6), four rows
 * at a time, 2048-column chunks dequantized by {@link QuantBaselineDecode} into a per-thread buffer, then four FMA
 * chains. {@code QuantKernelBench} runs it beside the current kernel in the same JVM, so that before/after is a ratio
 * measured under the same load. Its lanes fold with {@code reduceLanes}, not the kernels' tree (four folds per row
 * group: no measurable cost), so only its speed is meant, not its bits.
 */
public final class QuantBaseline {

    private static final VectorSpecies<Float> F = VectorCodecSupport.floatSpecies();
    private static final int V = F.length();
    private static final int QUANT_CHUNK = 2048;
    private static final ThreadLocal<float[]> BUFFER = ThreadLocal.withInitial(() -> new float[4 * QUANT_CHUNK]);

    private QuantBaseline() {
    }

    /** As {@link QuantKernels#matvec}, the previous way; needs V = 8 or 16 and whole vectors per row. */
    public static void matvec(QuantMatrix w, float[] x, int xOff, float[] y, int yOff, int rowFrom, int rowTo) {
        if (!QuantBaselineDecode.supported() || w.cols() % V != 0 || (rowTo - rowFrom) % 4 != 0) {
            throw new IllegalArgumentException("the baseline takes whole vectors and groups of four rows");
        }
        QuantType type = w.type();
        MemorySegment m = w.data();
        int cols = w.cols();
        int chunk = Math.min(cols, QUANT_CHUNK);
        float[] buf = BUFFER.get();
        for (int r = rowFrom; r + 4 <= rowTo; r += 4) {
            long p0 = w.rowOffset(r);
            long stride = type.rowBytes(cols);
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int c0 = 0; c0 < cols; c0 += chunk) {
                int len = Math.min(chunk, cols - c0);
                int blocks = len / type.blockSize;
                long p = p0 + type.rowBytes(c0);
                QuantBaselineDecode.decode(type, m, p, blocks, buf, 0);
                QuantBaselineDecode.decode(type, m, p + stride, blocks, buf, chunk);
                QuantBaselineDecode.decode(type, m, p + 2 * stride, blocks, buf, 2 * chunk);
                QuantBaselineDecode.decode(type, m, p + 3 * stride, blocks, buf, 3 * chunk);
                for (int k = 0; k < len; k += V) {
                    FloatVector xv = FloatVector.fromArray(F, x, xOff + c0 + k);
                    a0 = FloatVector.fromArray(F, buf, k).fma(xv, a0);
                    a1 = FloatVector.fromArray(F, buf, chunk + k).fma(xv, a1);
                    a2 = FloatVector.fromArray(F, buf, 2 * chunk + k).fma(xv, a2);
                    a3 = FloatVector.fromArray(F, buf, 3 * chunk + k).fma(xv, a3);
                }
            }
            int o = yOff + r - rowFrom;
            y[o] = a0.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
            y[o + 1] = a1.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
            y[o + 2] = a2.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
            y[o + 3] = a3.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        }
    }
}
