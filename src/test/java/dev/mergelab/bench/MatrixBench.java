package dev.mergelab.bench;

import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.MatrixKernels;
import dev.mergelab.tensor.MatrixSupport;
import dev.mergelab.tensor.ParallelRows;
import dev.mergelab.tensor.RowMatrix;
import dev.mergelab.tensor.Vectorization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * The forward pass's products at TinyLlama's shapes (attention 2048×2048, MLP 5632×2048, output head
 * 32000×2048) over weights in a native segment at an odd address, as mmapped checkpoints are.
 * {@code matmul}: 512 tokens (prompt processing), secondary score {@code gflops} = GFLOP/s.
 * {@code matvec}: one token (generation), secondary score {@code gbytes} = GB/s of weights read.
 * {@code threads} splits the rows with {@link ParallelRows}. Example (short):
 * {@code bench/jmh.sh -f 1 -wi 1 -i 2 -r 2s MatrixBench}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class MatrixBench {

    static final int TOKENS = 512;

    @Param({"2048x2048", "5632x2048", "32000x2048"})
    public String shape;

    @Param({"BF16", "F16", "F32"})
    public String dtype;

    @Param({"1", "2"})
    public int threads;

    MatrixSupport kernels;
    Arena arena;
    RowMatrix w;
    float[] x;
    float[] y;
    ExecutorService pool;

    /** Secondary results: JMH reports each as a rate per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gflops;
        public double gbytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        DType type = DType.valueOf(dtype);
        arena = Arena.ofShared();
        MemorySegment m = arena.allocate((long) rows * cols * type.size() + 1).asSlice(1);
        float[] row = BenchData.gaussian(cols, 1, 0.02);
        for (int r = 0; r < rows; r++) {
            long at = (long) r * cols;
            switch (type) {
                case F32 -> MemorySegment.copy(row, 0, m, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * at, cols);
                case F16 -> Vectorization.codecs().encodeF16(row, 0, cols, m, at);
                default -> Vectorization.codecs().encodeBf16(row, 0, cols, m, at);
            }
        }
        w = new RowMatrix(m, type, rows, cols);
        x = BenchData.gaussian(TOKENS * cols, 2, 1.0);
        y = new float[TOKENS * rows];
        pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
        arena.close();
    }

    @Benchmark
    public float matmul(Rates rates) {
        ParallelRows.run(pool, w.rows(), threads, (from, to) -> MatrixKernels.matmul(w, x, TOKENS, y, w.rows(), from, to));
        rates.gflops += 2.0 * w.rows() * w.cols() * TOKENS / 1e9;
        return y[7];
    }

    @Benchmark
    public float matvec(Rates rates) {
        ParallelRows.run(pool, w.rows(), threads, (from, to) -> MatrixKernels.matvec(w, x, 0, y, from, from, to));
        rates.gbytes += (double) w.rows() * w.cols() * w.dtype().size() / 1e9;
        return y[7];
    }
}
