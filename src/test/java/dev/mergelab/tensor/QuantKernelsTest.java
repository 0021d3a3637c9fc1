package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The quantized matrix kernels: the Vector API dequantizer gives the reference's floats bit for bit (random blocks
 * and every byte value in every quant position), and the quantized matvec and matmul equal, bit for bit, the
 * F32 kernels applied to the dequantized matrix, for the vector and the scalar implementation alike, for any row
 * range and thread count. Agreement of the reference dequantizer with ggml's is checked in the format layer
 * ({@code QuantizedMatMulTest} against GgmlCodec, itself checked against ggml's own output).
 */
class QuantKernelsTest {

    static final MatrixSupport VEC = Vectorization.vectorMatrices().orElseThrow();
    static final MatrixSupport REF = Vectorization.scalarMatrices(VEC.lanes());

    /** Random blocks of {@code type} with finite f16 scales (random bytes elsewhere: every quant pattern occurs). */
    static QuantMatrix random(Arena arena, Random r, QuantType type, int rows, int cols) {
        long bytes = rows * type.rowBytes(cols);
        MemorySegment m = arena.allocate(bytes + 1).asSlice(1); // unaligned on purpose, as mapped files are
        for (long i = 0; i < bytes; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
        }
        long blocks = bytes / type.blockBytes;
        for (long b = 0; b < blocks; b++) {
            long p = b * type.blockBytes;
            switch (type) {
                case Q8_0, Q4_0 -> setScale(m, p, r);
                case Q4_K -> {
                    setScale(m, p, r);
                    setScale(m, p + 2, r);
                }
                case Q6_K -> setScale(m, p + 208, r);
            }
        }
        return new QuantMatrix(m, type, rows, cols);
    }

    static void setScale(MemorySegment m, long p, Random r) {
        float v = switch (r.nextInt(8)) {
            case 0 -> 0f;
            case 1 -> 3e-7f * r.nextInt(50);   // f16 subnormals
            default -> (float) (r.nextGaussian() * 0.01);
        };
        m.set(Codecs.I16, p, Codecs.floatToF16(v));
    }

    static float[] dequantize(QuantMatrix w) {
        float[] out = new float[w.rows() * w.cols()];
        QuantDecode.decode(w.type(), w.data(), 0, w.rows() * (w.cols() / w.type().blockSize), out, 0);
        return out;
    }

    static RowMatrix asF32(Arena arena, float[] values, int rows, int cols) {
        MemorySegment m = arena.allocate(4L * values.length + 1).asSlice(1);
        MemorySegment.copy(values, 0, m, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return new RowMatrix(m, DType.F32, rows, cols);
    }

    @Property(tries = 60)
    void quantizedKernelsEqualTheF32KernelsOnTheDequantizedMatrix(@ForAll long seed,
            @ForAll @IntRange(min = 0, max = 3) int typeIndex, @ForAll @IntRange(min = 0, max = 11) int rows,
            @ForAll @IntRange(min = 1, max = 10) int blocks, @ForAll @IntRange(min = 1, max = 6) int tokens) {
        QuantType type = QuantType.values()[typeIndex];
        int cols = blocks * type.blockSize;
        Random r = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            QuantMatrix w = random(arena, r, type, rows, cols);
            float[] dq = dequantize(w);
            RowMatrix f32 = asF32(arena, dq, rows, cols);
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            float[] want = new float[tokens * rows];
            VEC.matmul(f32, x, tokens, want, rows, 0, rows);
            for (MatrixSupport k : new MatrixSupport[] {VEC, REF}) {
                float[] got = new float[tokens * rows];
                k.matmul(w, x, tokens, got, rows, 0, rows);
                MatrixKernelsTest.assertBits(want, got, k.name() + " " + type + " matmul");
                for (int t = 0; t < tokens; t++) {
                    int from = rows == 0 ? 0 : r.nextInt(rows + 1);
                    float[] mv = new float[rows - from + 1];
                    k.matvec(w, x, t * cols, mv, 1, from, rows);
                    MatrixKernelsTest.assertBits(Arrays.copyOfRange(want, t * rows + from, t * rows + rows),
                            Arrays.copyOfRange(mv, 1, mv.length), k.name() + " " + type + " matvec from row " + from);
                }
            }
        }
    }

    /**
     * {@link QuantKernels} (the fused vector matvec where it applies) equals the F32 kernels on the dequantized matrix,
     * for any row range (groups of four and a tail), x offset, and rows long enough to cross several blocks.
     */
    @Property(tries = 80)
    void quantKernelsEqualTheF32KernelsOnTheDequantizedMatrix(@ForAll long seed,
            @ForAll @IntRange(min = 0, max = 3) int typeIndex, @ForAll @IntRange(min = 0, max = 13) int rows,
            @ForAll @IntRange(min = 1, max = 12) int blocks, @ForAll @IntRange(min = 0, max = 40) int xOff) {
        QuantType type = QuantType.values()[typeIndex];
        int cols = blocks * type.blockSize;
        Random r = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            QuantMatrix w = random(arena, r, type, rows, cols);
            RowMatrix f32 = asF32(arena, dequantize(w), rows, cols);
            float[] x = new float[xOff + 2 * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 4));
            }
            int from = rows == 0 ? 0 : r.nextInt(rows + 1);
            float[] want = new float[rows - from];
            VEC.matvec(f32, x, xOff, want, 0, from, rows);
            float[] got = new float[rows - from + 3];
            QuantKernels.matvec(w, x, xOff, got, 3, from, rows);
            MatrixKernelsTest.assertBits(want, Arrays.copyOfRange(got, 3, got.length), type + " matvec from row " + from);
            float[] wantMm = new float[2 * rows];
            VEC.matmul(f32, Arrays.copyOfRange(x, xOff, x.length), 2, wantMm, rows, 0, rows);
            float[] gotMm = new float[2 * rows];
            QuantKernels.matmul(w, Arrays.copyOfRange(x, xOff, x.length), 2, gotMm, rows, 0, rows);
            MatrixKernelsTest.assertBits(wantMm, gotMm, type + " matmul");
        }
    }

    /** The vector dequantizer equals the reference on every block, including each byte value in each position. */
    @Test
    void vectorDequantizationEqualsTheReference() {
        if (!VectorQuantDecode.supported()) {
            return; // this width has no vector dequantizer; the kernels use the reference
        }
        Random r = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            for (QuantType type : QuantType.values()) {
                int blocks = 256;
                QuantMatrix w = random(arena, r, type, 1, blocks * type.blockSize);
                // block b gets byte value b in every quant position (scales kept finite above)
                for (int b = 0; b < blocks; b++) {
                    long p = (long) b * type.blockBytes;
                    int[] quantRange = switch (type) {
                        case Q8_0, Q4_0 -> new int[] {2, type.blockBytes};
                        case Q4_K -> new int[] {16, 144};
                        case Q6_K -> new int[] {0, 192};
                    };
                    for (int i = quantRange[0]; i < quantRange[1]; i++) {
                        w.data().set(ValueLayout.JAVA_BYTE, p + i, (byte) b);
                    }
                }
                float[] want = dequantize(w);
                float[] got = new float[want.length];
                for (int round = 0; round < 300; round++) { // until C2 has compiled the vector code
                    VectorQuantDecode.decode(type, w.data(), 0, blocks, got, 0);
                }
                MatrixKernelsTest.assertBits(want, got, type + " dequantization");
            }
        }
    }

    @Test
    void threadCountDoesNotChangeTheBits() throws Exception {
        Random r = new Random(5);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (Arena arena = Arena.ofShared()) {
            for (QuantType type : QuantType.values()) {
                int rows = 37;
                int cols = 2 * 2048 + 2 * 256; // two and a bit matvec chunks
                QuantMatrix w = random(arena, r, type, rows, cols);
                float[] x = new float[3 * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                float[] one = new float[3 * rows];
                MatrixKernels.matmul(w, x, 3, one, rows, 0, rows);
                float[] oneVec = new float[rows];
                MatrixKernels.matvec(w, x, 2 * cols, oneVec, 0, 0, rows);
                MatrixKernelsTest.assertBits(Arrays.copyOfRange(one, 2 * rows, 3 * rows), oneVec, type + " matvec = matmul");
                for (int parts = 2; parts <= 4; parts++) {
                    float[] y = new float[3 * rows];
                    ParallelRows.run(pool, rows, parts, (from, to) -> MatrixKernels.matmul(w, x, 3, y, rows, from, to));
                    MatrixKernelsTest.assertBits(one, y, type + " " + parts + " parts");
                    float[] v = new float[rows];
                    ParallelRows.run(pool, rows, parts, (from, to) -> MatrixKernels.matvec(w, x, 2 * cols, v, from, from, to));
                    MatrixKernelsTest.assertBits(oneVec, v, type + " " + parts + " parts matvec");
                }
                // and within the error bound of a float64 dot product of the dequantized values
                float[] dq = dequantize(w);
                for (int row = 0; row < rows; row++) {
                    double exact = 0;
                    double mags = 0;
                    for (int k = 0; k < cols; k++) {
                        exact += (double) dq[row * cols + k] * x[2 * cols + k];
                        mags += Math.abs((double) dq[row * cols + k] * x[2 * cols + k]);
                    }
                    int lanes = MatrixKernels.lanes();
                    double bound = (cols / lanes + 32 - Integer.numberOfLeadingZeros(lanes) + 2) * 0x1p-24 * mags;
                    assertTrue(Math.abs(oneVec[row] - exact) <= bound, type + " row " + row);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shapesAreChecked() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(34);
            assertThrows(IllegalArgumentException.class, () -> new QuantMatrix(m, QuantType.Q8_0, 1, 16));
            assertThrows(IllegalArgumentException.class, () -> new QuantMatrix(m, QuantType.Q8_0, 2, 32));
            QuantMatrix w = new QuantMatrix(m, QuantType.Q8_0, 1, 32);
            assertThrows(IndexOutOfBoundsException.class, () -> MatrixKernels.matvec(w, new float[31], 0, new float[1], 0, 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> MatrixKernels.matvec(w, new float[32], 0, new float[1], 0, 0, 2));
            assertEquals(QuantType.Q4_K, QuantType.ofGgmlName("q4_K"));
            assertEquals(null, QuantType.ofGgmlName("Q5_K"));
        }
    }
}
