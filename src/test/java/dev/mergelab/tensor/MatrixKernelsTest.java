package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The vector matrix kernels equal the scalar reference with the same lane count bit for bit, matmul
 * equals matvec token by token, and every sum is within its stated bound of a float64 reference.
 */
class MatrixKernelsTest {

    static final MatrixSupport VEC = Vectorization.vectorMatrices().orElseThrow();
    static final MatrixSupport REF = Vectorization.scalarMatrices(VEC.lanes());
    static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16};

    /** A [rows, cols] matrix of weight-like values (with zeros, subnormals and large ones) in {@code type}. */
    static RowMatrix matrix(Arena arena, Random r, DType type, int rows, int cols) {
        MemorySegment m = arena.allocate((long) rows * cols * type.size() + 1).asSlice(1); // unaligned on purpose
        for (int i = 0; i < rows * cols; i++) {
            float v = value(r);
            switch (type) {
                case F32 -> m.set(Codecs.F32, 4L * i, v);
                case F16 -> m.set(Codecs.I16, 2L * i, Codecs.floatToF16(v));
                default -> m.set(Codecs.I16, 2L * i, Codecs.floatToBf16(v));
            }
        }
        return new RowMatrix(m, type, rows, cols);
    }

    static float value(Random r) {
        return switch (r.nextInt(16)) {
            case 0 -> 0f;
            case 1 -> -0f;
            case 2 -> 3e-6f * r.nextInt(20);              // F16 subnormals
            case 3 -> (float) (r.nextGaussian() * 100);
            default -> (float) (r.nextGaussian() * 0.05);
        };
    }

    static float[] vector(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Property(tries = 150)
    void matvecAndMatmulMatchTheReferenceAndEachOther(@ForAll long seed, @ForAll @IntRange(min = 0, max = 13) int rows,
            @ForAll @IntRange(min = 0, max = 300) int cols, @ForAll @IntRange(min = 0, max = 70) int tokens) {
        Random r = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : TYPES) {
                RowMatrix w = matrix(arena, r, type, rows, cols);
                float[] x = vector(r, tokens * cols + 3);
                int from = rows == 0 ? 0 : r.nextInt(rows + 1);
                int to = from + r.nextInt(rows - from + 1);
                float[] yv = new float[tokens * rows];
                float[] yr = new float[tokens * rows];
                VEC.matmul(w, x, tokens, yv, rows, from, to);
                REF.matmul(w, x, tokens, yr, rows, from, to);
                assertBits(yr, yv, type + " matmul");
                for (int t = 0; t < tokens; t++) {
                    float[] mv = new float[to - from + 2];
                    float[] mr = new float[to - from + 2];
                    VEC.matvec(w, x, t * cols, mv, 2, from, to);
                    REF.matvec(w, x, t * cols, mr, 2, from, to);
                    assertBits(mr, mv, type + " matvec");
                    assertBits(Arrays.copyOfRange(yv, t * rows + from, t * rows + to), Arrays.copyOfRange(mv, 2, mv.length),
                            type + " matmul vs matvec, token " + t);
                    for (int row = from; row < to; row++) {
                        assertClose(w, row, x, t * cols, yv[t * rows + row]);
                    }
                }
            }
        }
    }

    /** Shapes past the kernels' blocks: several token tiles, odd rows, columns with a tail, a heap segment. */
    @Test
    void largerShapesAndHeapSegments() {
        Random r = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : TYPES) {
                // rows without a tail (folded in registers) over several token tiles
                RowMatrix even = matrix(arena, r, type, 9, 1024);
                int many = 2 * VectorMatrixSupport.tokenTile(1024) + 5;
                float[] xe = vector(r, many * 1024);
                float[] ye = new float[many * 9];
                float[] ys = new float[many * 9];
                VEC.matmul(even, xe, many, ye, 9, 0, 9);
                REF.matmul(even, xe, many, ys, 9, 0, 9);
                assertBits(ys, ye, type + " matmul without a tail");
                float[] one = new float[9];
                VEC.matvec(even, xe, (many - 1) * 1024, one, 0, 0, 9);
                assertBits(Arrays.copyOfRange(ys, (many - 1) * 9, many * 9), one, type + " matvec = matmul's last token");
                RowMatrix w = matrix(arena, r, type, 11, 1100);
                int tokens = 2 * VectorMatrixSupport.tokenTile(1100) + 3;
                float[] x = vector(r, tokens * 1100);
                float[] yv = new float[tokens * 11];
                float[] yr = new float[tokens * 11];
                VEC.matmul(w, x, tokens, yv, 11, 0, 11);
                REF.matmul(w, x, tokens, yr, 11, 0, 11);
                assertBits(yr, yv, type + " matmul");
                // rows over several decoded panels, with a group of fewer than four rows left in the last
                int wide = 8192;
                int panelled = 2 * VectorMatrixSupport.panelRows(wide) + 3;
                RowMatrix p = matrix(arena, r, type, panelled, wide);
                float[] xp = vector(r, 9 * wide);
                float[] yp = new float[9 * panelled];
                float[] yq = new float[9 * panelled];
                VEC.matmul(p, xp, 9, yp, panelled, 0, panelled);
                REF.matmul(p, xp, 9, yq, panelled, 0, panelled);
                assertBits(yq, yp, type + " matmul over panels");
                byte[] heap = new byte[(int) w.data().byteSize()];
                MemorySegment.copy(w.data(), 0, MemorySegment.ofArray(heap), 0, heap.length);
                RowMatrix onHeap = new RowMatrix(MemorySegment.ofArray(heap), type, 11, 1100);
                float[] y1 = new float[11];
                VEC.matvec(onHeap, x, 0, y1, 0, 0, 11);
                assertBits(Arrays.copyOf(yr, 11), y1, type + " heap matvec");
            }
        }
    }

    /**
     * Row ranges that mix the matmul's six-row groups, four-row groups and single rows, over more than one panel and
     * token tile, with and without a column tail: the reference's bits, and the same bits when the rows are split
     * into ranges as threads split them.
     */
    @Test
    void sixAndFourRowGroupsGiveTheReferenceBitsWhateverTheSplit() {
        Random r = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : TYPES) {
                for (int cols : new int[] {2048, 2048 + 5}) {
                    int rows = VectorMatrixSupport.panelRows(cols) + 6 + 4 + 3;
                    RowMatrix w = matrix(arena, r, type, rows, cols);
                    int tokens = VectorMatrixSupport.tokenTile(cols) + 7;
                    float[] x = vector(r, tokens * cols);
                    float[] whole = new float[tokens * rows];
                    float[] ref = new float[tokens * rows];
                    VEC.matmul(w, x, tokens, whole, rows, 0, rows);
                    REF.matmul(w, x, tokens, ref, rows, 0, rows);
                    assertBits(ref, whole, type + " matmul, " + cols + " columns");
                    float[] split = new float[tokens * rows];
                    for (int[] range : new int[][] {{0, 4}, {4, 16}, {16, 20}, {20, rows}}) {
                        VEC.matmul(w, x, tokens, split, rows, range[0], range[1]);
                    }
                    assertBits(whole, split, type + " matmul split into row ranges, " + cols + " columns");
                }
            }
        }
    }

    @Property(tries = 300)
    void dotRmsNormSoftmaxMatchTheReference(@ForAll long seed, @ForAll @IntRange(min = 0, max = 400) int n,
            @ForAll @IntRange(min = 0, max = 5) int off, @ForAll boolean gemma) {
        Random r = new Random(seed);
        float[] a = vector(r, n + off);
        float[] b = vector(r, n + off);
        float d = VEC.dot(a, off, b, off, n);
        assertEquals(Float.floatToRawIntBits(REF.dot(a, off, b, off, n)), Float.floatToRawIntBits(d), "dot");
        double exact = 0;
        double mags = 0;
        for (int k = 0; k < n; k++) {
            exact += (double) a[off + k] * b[off + k];
            mags += Math.abs((double) a[off + k] * b[off + k]);
        }
        assertTrue(Math.abs(d - exact) <= bound(n) * mags, "dot " + d + " vs " + exact);

        float[] w = vector(r, n + off);
        float[] yv = new float[n + off];
        float[] yr = new float[n + off];
        VEC.rmsNorm(a, off, w, off, yv, off, n, 1e-6f, gemma);
        REF.rmsNorm(a, off, w, off, yr, off, n, 1e-6f, gemma);
        assertBits(yr, yv, "rmsNorm");
        double ss = 0;
        for (int k = 0; k < n; k++) {
            ss += (double) a[off + k] * a[off + k];
        }
        double s = 1 / Math.sqrt(ss / n + 1e-6);
        for (int k = 0; k < n; k++) {
            double g = gemma ? 1.0 + w[off + k] : w[off + k];
            double want = a[off + k] * s * g;
            assertEquals(want, yv[off + k], 1e-5 * Math.abs(want) + 1e-30, "rmsNorm at " + k);
        }
        float[] in = a.clone();
        for (int k = 0; k < n; k += 7) {
            in[off + k] *= 30;                       // a wide range of scores
        }
        if (n > 3) {
            in[off + 3] = Float.NEGATIVE_INFINITY;   // a masked position
        }
        float[] sv = in.clone();
        float[] sr = in.clone();
        VEC.softmax(sv, off, n);
        REF.softmax(sr, off, n);
        assertBits(sr, sv, "softmax");
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, in[off + k]);
        }
        // the shifted scores as the kernel rounds them (float), then exact arithmetic
        double total = 0;
        for (int k = 0; k < n; k++) {
            total += Math.exp(in[off + k] - max);
        }
        for (int k = 0; k < n; k++) {
            double want = Math.exp(in[off + k] - max) / total;
            assertEquals(want, sv[off + k], 1e-6 * want + 1e-37, "softmax at " + k);
        }
    }

    @Property(tries = 200)
    void attentionDotsAndWeightedSumsMatchTheReference(@ForAll long seed, @ForAll @IntRange(min = 0, max = 150) int n,
            @ForAll @IntRange(min = 0, max = 11) int count, @ForAll @IntRange(min = 0, max = 40) int gap) {
        Random r = new Random(seed);
        int stride = n + gap;
        float[] q = vector(r, n + 3);
        float[] keys = vector(r, 5 + count * stride);
        float[] dv = new float[count + 2];
        float[] dr = new float[count + 2];
        VEC.dots(q, 3, keys, 5, stride, count, n, dv, 2);
        REF.dots(q, 3, keys, 5, stride, count, n, dr, 2);
        assertBits(dr, dv, "dots");
        for (int j = 0; j < count; j++) {
            assertEquals(Float.floatToRawIntBits(VEC.dot(q, 3, keys, 5 + j * stride, n)), Float.floatToRawIntBits(dv[2 + j]),
                    "dots = dot at " + j);
        }
        float[] p = vector(r, count + 1);
        float[] start = vector(r, n + 4);
        float[] ov = start.clone();
        float[] or = start.clone();
        VEC.weightedSum(p, 1, count, keys, 5, stride, n, ov, 4);
        REF.weightedSum(p, 1, count, keys, 5, stride, n, or, 4);
        assertBits(or, ov, "weightedSum");
        for (int i = 0; i < n; i++) {
            double exact = start[4 + i];
            double mags = Math.abs(exact);
            for (int j = 0; j < count; j++) {
                double term = (double) p[1 + j] * keys[5 + j * stride + i];
                exact += term;
                mags += Math.abs(term);
            }
            assertTrue(Math.abs(ov[4 + i] - exact) <= (count + 1) * 0x1p-24 * mags, "weightedSum at " + i);
        }
    }

    /**
     * The F16 conversion of the vector matvec and matmul (Float.float16ToFloat loops, compiled to the CPU's
     * half-to-float instruction) equals the reference's Codecs.f16ToFloat for all 65536 halves, bit for bit,
     * except that a NaN half only has to stay NaN; run often enough for C2 to compile the loop.
     */
    @Test
    void f16ConversionIsExactForEveryHalf() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(2 * 65536 + 1).asSlice(1);
            for (int h = 0; h < 65536; h++) {
                all.set(Codecs.I16, 2L * h, (short) h);
            }
            float[] got = new float[65536 + 3];
            for (int round = 0; round < 200; round++) {
                VectorMatrixSupport.halvesToFloats(all, 0, got, 3, 65536);
            }
            for (int h = 0; h < 65536; h++) {
                float want = Codecs.f16ToFloat((short) h);
                if (Float.isNaN(want)) {
                    assertTrue(Float.isNaN(got[3 + h]), "half 0x" + Integer.toHexString(h));
                } else {
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[3 + h]),
                            "half 0x" + Integer.toHexString(h));
                }
            }
        }
    }

    /**
     * Infinite and NaN F16 weights: the vector kernels give the reference's results (±Inf, NaN from Inf·0 or a
     * NaN weight), which a conversion that maps exponent 31 to a finite value would not.
     */
    @Test
    void infiniteAndNanF16WeightsGiveTheReferenceResults() {
        try (Arena arena = Arena.ofConfined()) {
            Random r = new Random(7);
            int rows = 12;
            int cols = 2 * VEC.lanes() * 40 + 3;
            RowMatrix w = matrix(arena, r, DType.F16, rows, cols);
            short[] specials = {0x7C00, (short) 0xFC00, 0x7E00, 0x7C01, (short) 0xFD00};
            for (int row = 0; row < rows; row += 2) {
                int col = r.nextInt(cols);
                w.data().set(Codecs.I16, w.offset(row, col), specials[(row / 2) % specials.length]);
            }
            float[] x = vector(r, 4 * cols);
            x[cols + 5] = 0f;
            w.data().set(Codecs.I16, w.offset(rows - 1, 5), (short) 0x7C00); // Inf · 0 for token 1
            float[] yr = new float[rows * 4];
            float[] yv = new float[rows * 4];
            for (int round = 0; round < 50; round++) {
                REF.matmul(w, x, 4, yr, rows, 0, rows);
                VEC.matmul(w, x, 4, yv, rows, 0, rows);
                assertSameClass(yr, yv, "matmul");
                for (int t = 0; t < 4; t++) {
                    float[] mr = new float[rows];
                    float[] mv = new float[rows];
                    REF.matvec(w, x, t * cols, mr, 0, 0, rows);
                    VEC.matvec(w, x, t * cols, mv, 0, 0, rows);
                    assertSameClass(mr, mv, "matvec token " + t);
                    assertSameClass(Arrays.copyOfRange(yr, t * rows, t * rows + rows), mv, "matvec = matmul, token " + t);
                }
            }
            int nonFinite = 0;
            for (float v : yr) {
                nonFinite += Float.isFinite(v) ? 0 : 1;
            }
            assertTrue(nonFinite >= 4 * rows / 2, "the specials reach the results: " + nonFinite);
            assertTrue(Float.isNaN(yr[rows + rows - 1]), "Inf · 0 is NaN");
        }
    }

    /** Bit for bit, except that two NaNs of any payload agree. */
    static void assertSameClass(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            boolean same = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                    : Float.floatToRawIntBits(want[i]) == Float.floatToRawIntBits(got[i]);
            if (!same) {
                throw new AssertionError(what + " at " + i + ": " + got[i] + " != " + want[i]);
            }
        }
    }

    @Test
    void exponentialIsWithinAnUlpOrTwoAndHandlesTheEdges() {
        Random r = new Random(3);
        for (int i = 0; i < 200_000; i++) {
            float d = -87.3f * r.nextFloat();
            float got = ScalarMatrixSupport.exp(d);
            float want = (float) StrictMath.exp(d);
            assertTrue(Math.abs(got - want) <= 2 * Math.ulp(want), "exp(" + d + ") = " + got + ", want " + want);
        }
        assertEquals(1f, ScalarMatrixSupport.exp(0f));
        assertEquals(1f, ScalarMatrixSupport.exp(-0f));
        assertEquals(0f, ScalarMatrixSupport.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, ScalarMatrixSupport.exp(-90f));
        assertTrue(Float.isNaN(ScalarMatrixSupport.exp(Float.NaN)));
    }

    @Test
    void parallelRowsGiveTheSameBitsForAnyNumberOfParts() {
        Random r = new Random(9);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (Arena arena = Arena.ofShared()) {
            RowMatrix w = matrix(arena, r, DType.BF16, 103, 200);
            float[] x = vector(r, 5 * 200);
            float[] one = new float[5 * 103];
            MatrixKernels.matmul(w, x, 5, one);
            for (int parts : new int[] {1, 2, 3, 7, 26, 1000}) {
                float[] y = new float[5 * 103];
                ParallelRows.run(pool, 103, parts, (from, to) -> MatrixKernels.matmul(w, x, 5, y, 103, from, to));
                assertBits(one, y, parts + " parts");
                float[] v = new float[103];
                ParallelRows.run(pool, 103, parts, (from, to) -> MatrixKernels.matvec(w, x, 0, v, from, from, to));
                assertBits(Arrays.copyOf(one, 103), v, parts + " parts matvec");
            }
            assertThrows(IllegalStateException.class, () -> ParallelRows.run(pool, 100, 4, (from, to) -> {
                if (from > 0) {
                    throw new IllegalStateException("boom");
                }
            }));
            // the caller's own range fails first; run still returns only after the other ranges finish
            java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
            assertThrows(IllegalArgumentException.class, () -> ParallelRows.run(pool, 64, 4, (from, to) -> {
                if (from == 0) {
                    throw new IllegalArgumentException("first range");
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                finished.incrementAndGet();
            }));
            assertEquals(3, finished.get(), "every other range ran to the end before run returned");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void argumentsAreChecked() {
        try (Arena arena = Arena.ofConfined()) {
            RowMatrix w = matrix(arena, new Random(1), DType.F32, 4, 8);
            assertThrows(IndexOutOfBoundsException.class, () -> MatrixKernels.matvec(w, new float[7], new float[4]));
            assertThrows(IndexOutOfBoundsException.class, () -> MatrixKernels.matvec(w, new float[8], new float[3]));
            assertThrows(IndexOutOfBoundsException.class, () -> MatrixKernels.matmul(w, new float[15], 2, new float[8]));
            assertThrows(IllegalArgumentException.class, () -> MatrixKernels.matmul(w, new float[16], 2, new float[8], 3, 0, 4));
            assertThrows(IllegalArgumentException.class, () -> new RowMatrix(w.data(), DType.F32, 4, 9));
            assertThrows(IllegalArgumentException.class, () -> new RowMatrix(w.data(), DType.I32, 4, 8));
        }
    }

    /** The class's bound: (n/L + log2 L + 2)·2^-24 of the sum of magnitudes. */
    static double bound(int n) {
        int lanes = VEC.lanes();
        return (n / (double) lanes + Integer.numberOfTrailingZeros(lanes) + 2) * 0x1p-24;
    }

    static void assertClose(RowMatrix w, int row, float[] x, int xOff, float got) {
        double exact = 0;
        double mags = 0;
        for (int k = 0; k < w.cols(); k++) {
            double p = (double) w.get(row, k) * x[xOff + k];
            exact += p;
            mags += Math.abs(p);
        }
        assertTrue(Math.abs(got - exact) <= bound(w.cols()) * mags + Float.MIN_VALUE,
                "row " + row + ": " + got + " vs " + exact);
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
