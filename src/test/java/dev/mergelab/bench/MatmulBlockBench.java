package dev.mergelab.bench;

import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.MatrixKernels;
import dev.mergelab.tensor.ParallelRows;
import dev.mergelab.tensor.RowMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Prefill A/B in one run: {@code current} is {@link MatrixKernels#matmul} (6-row × 4-token register blocks, 768 KiB
 * panels, 256 KiB token tiles), {@code previous} the sweep it replaced, kept here for comparison (4 × 4 blocks, 256 KiB
 * panels of a multiple of 4 rows, 1 MiB tiles),
 * both over the same F32 weights (decoding a panel is a copy, the same in both, so the ratio is the sweep's; F16
 * and BF16 decode once per call before the same sweep). 512 tokens at TinyLlama's shapes (q/o 2048 × 2048, gate/up
 * 5632 × 2048, down 2048 × 5632); secondary score {@code gflops}. AVX-512 only (with 16 vector registers the
 * kernels keep the 4 × 2 block). Example: {@code bench/jmh.sh -f 1 -wi 3 -i 5 -r 2s MatmulBlockBench}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class MatmulBlockBench {

    static final int TOKENS = 512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int V = F.length();

    @Param({"2048x2048", "5632x2048", "2048x5632"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    Arena arena;
    RowMatrix w;
    float[] x;
    float[] y;
    ExecutorService pool;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gflops;
    }

    @Setup(Level.Trial)
    public void setup() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        arena = Arena.ofShared();
        MemorySegment m = arena.allocate(4L * rows * cols + 1).asSlice(1);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(BenchData.gaussian(cols, r, 0.02), 0, m, ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * r * cols, cols);
        }
        w = new RowMatrix(m, DType.F32, rows, cols);
        x = BenchData.gaussian(TOKENS * cols, -1, 1.0);
        y = new float[TOKENS * rows];
        pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
        arena.close();
    }

    @Benchmark
    public float current(Rates rates) {
        ParallelRows.run(pool, w.rows(), threads, (from, to) -> MatrixKernels.matmul(w, x, TOKENS, y, w.rows(), from, to));
        rates.gflops += 2.0 * w.rows() * w.cols() * TOKENS / 1e9;
        return y[7];
    }

    @Benchmark
    public float previous(Rates rates) {
        ParallelRows.run(pool, w.rows(), threads, (from, to) -> previous(w, x, TOKENS, y, w.rows(), from, to));
        rates.gflops += 2.0 * w.rows() * w.cols() * TOKENS / 1e9;
        return y[7];
    }

    // ---- the previous sweep (columns a multiple of V; rows of a range a multiple of 4) ----

    private static final VectorShuffle<Float> FOLD_8 = shiftDown(8);
    private static final VectorShuffle<Float> FOLD_4 = shiftDown(4);
    private static final VectorShuffle<Float> FOLD_2 = shiftDown(2);
    private static final VectorShuffle<Float> FOLD_1 = shiftDown(1);

    private static VectorShuffle<Float> shiftDown(int h) {
        return VectorShuffle.fromOp(F, i -> (i + h) & (V - 1));
    }

    private static float fold(FloatVector a) {
        if (V >= 16) {
            a = a.add(a.rearrange(FOLD_8));
        }
        a = a.add(a.rearrange(FOLD_4));
        a = a.add(a.rearrange(FOLD_2));
        a = a.add(a.rearrange(FOLD_1));
        return a.lane(0);
    }

    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[16 * V]);

    static void previous(RowMatrix w, float[] x, int tokens, float[] y, int yStride, int rowFrom, int rowTo) {
        int cols = w.cols();
        int panelRows = Math.max(4, (256 << 10) / (4 * cols) & ~3);
        float[] panel = PANEL.get();
        if (panel.length < panelRows * cols) {
            panel = new float[panelRows * cols];
            PANEL.set(panel);
        }
        float[] lanes = LANES.get();
        int tile = Math.max(4, (1 << 20) / (4 * cols) / 4 * 4);
        for (int p = rowFrom; p < rowTo; p += panelRows) {
            int count = Math.min(panelRows, rowTo - p);
            MemorySegment.copy(w.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * p * cols, panel, 0, count * cols);
            int full = count & ~3;
            for (int t0 = 0; t0 < tokens; t0 += tile) {
                int t1 = Math.min(tokens, t0 + tile);
                int blocked = t0 + (t1 - t0) / 4 * 4;
                for (int g = 0; g < full; g += 4) {
                    int rowOff = g * cols;
                    for (int t = t0; t < blocked; t += 4) {
                        block4x4(panel, rowOff, cols, x, t, lanes);
                        for (int j = 0; j < 16; j++) {
                            y[(t + (j >> 2)) * yStride + p + g + (j & 3)] = fold(FloatVector.fromArray(F, lanes, j * V));
                        }
                    }
                }
            }
        }
    }

    private static void block4x4(float[] rows, int w0, int cols, float[] x, int t, float[] lanes) {
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int k = 0, bound = F.loopBound(cols); k < bound; k += V) {
            FloatVector r0 = FloatVector.fromArray(F, rows, w0 + k);
            FloatVector r1 = FloatVector.fromArray(F, rows, w1 + k);
            FloatVector r2 = FloatVector.fromArray(F, rows, w2 + k);
            FloatVector r3 = FloatVector.fromArray(F, rows, w3 + k);
            FloatVector u = FloatVector.fromArray(F, x, x0 + k);
            c00 = r0.fma(u, c00);
            c01 = r1.fma(u, c01);
            c02 = r2.fma(u, c02);
            c03 = r3.fma(u, c03);
            u = FloatVector.fromArray(F, x, x1 + k);
            c10 = r0.fma(u, c10);
            c11 = r1.fma(u, c11);
            c12 = r2.fma(u, c12);
            c13 = r3.fma(u, c13);
            u = FloatVector.fromArray(F, x, x2 + k);
            c20 = r0.fma(u, c20);
            c21 = r1.fma(u, c21);
            c22 = r2.fma(u, c22);
            c23 = r3.fma(u, c23);
            u = FloatVector.fromArray(F, x, x3 + k);
            c30 = r0.fma(u, c30);
            c31 = r1.fma(u, c31);
            c32 = r2.fma(u, c32);
            c33 = r3.fma(u, c33);
        }
        c00.intoArray(lanes, 0);
        c01.intoArray(lanes, V);
        c02.intoArray(lanes, 2 * V);
        c03.intoArray(lanes, 3 * V);
        c10.intoArray(lanes, 4 * V);
        c11.intoArray(lanes, 5 * V);
        c12.intoArray(lanes, 6 * V);
        c13.intoArray(lanes, 7 * V);
        c20.intoArray(lanes, 8 * V);
        c21.intoArray(lanes, 9 * V);
        c22.intoArray(lanes, 10 * V);
        c23.intoArray(lanes, 11 * V);
        c30.intoArray(lanes, 12 * V);
        c31.intoArray(lanes, 13 * V);
        c32.intoArray(lanes, 14 * V);
        c33.intoArray(lanes, 15 * V);
    }
}
