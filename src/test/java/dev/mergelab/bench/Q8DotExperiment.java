package dev.mergelab.bench;

import dev.mergelab.tensor.QuantMatrix;
import dev.mergelab.tensor.QuantType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measurement only (QuantKernelRace's "Q8_0 int8 dot" variant; not a kernel of MergeLab): llama.cpp's scheme for a Q8_0
 * matvec written with the Vector API, to see what it would cost here. x is quantized to int8 per 32-block (ggml's
 * quantize_row_q8_0: d = max|x| / 127, q = round(x / d)) once per matvec; each block's 32 weight bytes and 32 x bytes
 * are widened to 16-bit lanes (the Vector API has no byte dot product: no VPMADDUBSW/VPDPBUSD), multiplied (VPMULLW,
 * exact), widened to two int vectors and added, converted to float and accumulated with the block's scale product.
 * Two rows per pass. AVX-512 only (V = 16).
 */
final class Q8DotExperiment {

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    private Q8DotExperiment() {
    }

    static boolean supported() {
        return FloatVector.SPECIES_PREFERRED.length() == 16;
    }

    /** x as ggml's block_q8_0: quants into {@code q}, one scale per 32 into {@code d}. */
    static void quantize(float[] x, byte[] q, float[] d) {
        for (int b = 0; b < x.length / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[32 * b + j]));
            }
            float s = amax / 127f;
            float inv = s != 0 ? 1f / s : 0f;
            d[b] = s;
            for (int j = 0; j < 32; j++) {
                q[32 * b + j] = (byte) Math.round(x[32 * b + j] * inv);
            }
        }
    }

    static void matvec(QuantMatrix w, byte[] xq, float[] xd, float[] y, int rowFrom, int rowTo) {
        if (w.type() != QuantType.Q8_0) {
            throw new IllegalArgumentException("Q8_0 only");
        }
        MemorySegment m = w.data();
        long stride = w.type().rowBytes(w.cols());
        int blocks = w.cols() / 32;
        for (int r = rowFrom; r + 2 <= rowTo; r += 2) {
            long p0 = r * stride;
            long p1 = p0 + stride;
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int b = 0; b < blocks; b++, p0 += 34, p1 += 34) {
                ShortVector xs = (ShortVector) ByteVector.fromArray(B, xq, 32 * b).convertShape(VectorOperators.B2S, S, 0);
                float dx = xd[b];
                a0 = blockSum(m, p0, xs).fma(FloatVector.broadcast(F, dx * Float.float16ToFloat(
                        m.get(ValueLayout.JAVA_SHORT_UNALIGNED, p0))), a0);
                a1 = blockSum(m, p1, xs).fma(FloatVector.broadcast(F, dx * Float.float16ToFloat(
                        m.get(ValueLayout.JAVA_SHORT_UNALIGNED, p1))), a1);
            }
            y[r] = a0.reduceLanes(VectorOperators.ADD);
            y[r + 1] = a1.reduceLanes(VectorOperators.ADD);
        }
    }

    /** The block's 32 products q·x summed into 16 int lanes (elements i and i + 16), as floats. */
    private static FloatVector blockSum(MemorySegment m, long p, ShortVector xs) {
        ShortVector ws = (ShortVector) ByteVector.fromMemorySegment(B, m, p + 2, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2S, S, 0);
        ShortVector prod = ws.mul(xs);
        IntVector lo = (IntVector) prod.convertShape(VectorOperators.S2I, I, 0);
        IntVector hi = (IntVector) prod.convertShape(VectorOperators.S2I, I, 1);
        return (FloatVector) lo.add(hi).convert(VectorOperators.I2F, 0);
    }
}
