package dev.mergelab.bench;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.MatrixKernels;
import dev.mergelab.tensor.ParallelRows;
import dev.mergelab.tensor.QuantMatrix;
import dev.mergelab.tensor.QuantType;
import dev.mergelab.tensor.RowMatrix;
import dev.mergelab.tensor.Vectorization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
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
 * Matvec throughput (one token: generation) of each weight storage on TinyLlama's MLP matrix, [2048 × 5632] (rows ×
 * columns, the down projection's shape) by default: the ggml block types read in place by the quantized kernels
 * against F16 and BF16. The score is matvecs per second; secondary {@code gbytes} = GB/s of stored weights read,
 * {@code gweights} = G weights per second (the same work in every type, so the tokens/s-equivalent comparison).
 * Blocks are random quants with small f16 scales (the kernels' speed does not depend on the values). Example
 * (short): {@code bench/jmh.sh -f 1 -wi 2 -i 4 -r 1s QuantMatvecBench}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class QuantMatvecBench {

    @Param({"2048x5632"})
    public String shape;

    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K", "F16", "BF16"})
    public String type;

    @Param({"1", "2"})
    public int threads;

    Arena arena;
    QuantMatrix quant;
    RowMatrix plain;
    long bytes;
    float[] x;
    float[] y;
    ExecutorService pool;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gbytes;
        public double gweights;
    }

    @Setup(Level.Trial)
    public void setup() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        arena = Arena.ofShared();
        Random r = new Random(1);
        QuantType q = QuantType.ofGgmlName(type);
        if (q != null) {
            bytes = rows * q.rowBytes(cols);
            MemorySegment m = arena.allocate(bytes + 1).asSlice(1);
            for (long i = 0; i < bytes; i++) {
                m.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
            }
            for (long b = 0; b < bytes / q.blockBytes; b++) {
                long p = b * q.blockBytes;
                long[] scales = switch (q) {
                    case Q8_0, Q4_0 -> new long[] {p};
                    case Q4_K -> new long[] {p, p + 2};
                    case Q6_K -> new long[] {p + 208};
                };
                for (long s : scales) {
                    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, s, Codecs.floatToF16((float) (r.nextGaussian() * 0.001)));
                }
            }
            quant = new QuantMatrix(m, q, rows, cols);
        } else {
            DType d = DType.valueOf(type);
            bytes = 2L * rows * cols;
            MemorySegment m = arena.allocate(bytes + 1).asSlice(1);
            for (int row = 0; row < rows; row++) {
                float[] v = BenchData.gaussian(cols, row, 0.02);
                if (d == DType.F16) {
                    Vectorization.codecs().encodeF16(v, 0, cols, m, (long) row * cols);
                } else {
                    Vectorization.codecs().encodeBf16(v, 0, cols, m, (long) row * cols);
                }
            }
            plain = new RowMatrix(m, d, rows, cols);
        }
        x = BenchData.gaussian(cols, -1, 1.0);
        y = new float[rows];
        pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
        arena.close();
    }

    @Benchmark
    public float matvec(Rates rates) {
        if (quant != null) {
            ParallelRows.run(pool, quant.rows(), threads, (from, to) -> MatrixKernels.matvec(quant, x, 0, y, from, from, to));
            rates.gweights += (double) quant.rows() * quant.cols() / 1e9;
        } else {
            ParallelRows.run(pool, plain.rows(), threads, (from, to) -> MatrixKernels.matvec(plain, x, 0, y, from, from, to));
            rates.gweights += (double) plain.rows() * plain.cols() / 1e9;
        }
        rates.gbytes += bytes / 1e9;
        return y[7];
    }
}
