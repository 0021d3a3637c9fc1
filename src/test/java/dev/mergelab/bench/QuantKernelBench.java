package dev.mergelab.bench;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.MatrixKernels;
import dev.mergelab.tensor.ParallelRows;
import dev.mergelab.tensor.QuantBaseline;
import dev.mergelab.tensor.QuantKernels;
import dev.mergelab.tensor.QuantMatrix;
import dev.mergelab.tensor.QuantType;
import dev.mergelab.tensor.RowMatrix;
import dev.mergelab.tensor.Vectorization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.LongVector;
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
 * The quantized kernels beside the BF16 kernel and the memory read floor, in one run, on one [rows × cols] weight
 * matrix (TinyLlama's down projection shape by default): {@code matvec} is {@link QuantKernels#matvec} (generation),
 * {@code matvecBefore} the previous quantized matvec kept for comparison ({@link QuantBaseline}: 2048-column chunks
 * dequantized into a float buffer, then FMAs), {@code matmul64} {@link QuantKernels#matmul} over 64 tokens (prefill),
 * {@code readFloor} a plain vector read of the same bytes (what a memory-bound kernel could reach). For BF16 the
 * matvec/matmul are {@link MatrixKernels}' (matvecBefore = matvec). Secondary scores: {@code gweights} = G weights/s
 * (per token: matmul64 counts each weight 64 times, so GFLOP/s = 2 × gweights), {@code gbytes} = GB/s of stored
 * weights read. Blocks are random quants with small f16 scales (the speed does not depend on the values). Example
 * (short): {@code bench/jmh.sh -f 1 -wi 2 -i 3 -r 1s QuantKernelBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class QuantKernelBench {

    private static final int TOKENS = 64;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    @Param({"2048x5632"})
    public String shape;

    @Param({"Q8_0", "Q4_0", "Q4_K", "Q6_K", "BF16"})
    public String type;

    @Param({"1", "2"})
    public int threads;

    Arena arena;
    QuantMatrix quant;
    RowMatrix plain;
    MemorySegment data;
    int rows;
    int cols;
    long bytes;
    float[] x;
    float[] xs;
    float[] y;
    float[] ys;
    long[] sink;
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
        rows = Integer.parseInt(dims[0]);
        cols = Integer.parseInt(dims[1]);
        arena = Arena.ofShared();
        Random r = new Random(1);
        QuantType q = QuantType.ofGgmlName(type);
        if (q != null) {
            bytes = rows * q.rowBytes(cols);
            data = arena.allocate(bytes + 1).asSlice(1); // unaligned, as tensors in a mapped GGUF file may be
            for (long i = 0; i < bytes; i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
            }
            for (long b = 0; b < bytes / q.blockBytes; b++) {
                long p = b * q.blockBytes;
                long[] scales = switch (q) {
                    case Q8_0, Q4_0 -> new long[] {p};
                    case Q4_K -> new long[] {p, p + 2};
                    case Q6_K -> new long[] {p + 208};
                };
                for (long s : scales) {
                    data.set(ValueLayout.JAVA_SHORT_UNALIGNED, s, Codecs.floatToF16((float) (r.nextGaussian() * 0.001)));
                }
            }
            quant = new QuantMatrix(data, q, rows, cols);
        } else {
            DType d = DType.valueOf(type);
            bytes = 2L * rows * cols; // BF16
            data = arena.allocate(bytes + 1).asSlice(1);
            for (int row = 0; row < rows; row++) {
                float[] v = BenchData.gaussian(cols, row, 0.02);
                Vectorization.codecs().encodeBf16(v, 0, cols, data, (long) row * cols);
            }
            plain = new RowMatrix(data, d, rows, cols);
        }
        x = BenchData.gaussian(cols, -1, 1.0);
        xs = new float[TOKENS * cols];
        for (int t = 0; t < TOKENS; t++) {
            System.arraycopy(BenchData.gaussian(cols, -2 - t, 1.0), 0, xs, t * cols, cols);
        }
        y = new float[rows];
        ys = new float[TOKENS * rows];
        sink = new long[threads * 8];
        pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
        arena.close();
    }

    private void count(Rates rates, int tokens) {
        rates.gweights += (double) rows * cols * tokens / 1e9;
        rates.gbytes += bytes / 1e9;
    }

    @Benchmark
    public float matvec(Rates rates) {
        if (quant != null) {
            ParallelRows.run(pool, rows, threads, (from, to) -> QuantKernels.matvec(quant, x, 0, y, from, from, to));
        } else {
            ParallelRows.run(pool, rows, threads, (from, to) -> MatrixKernels.matvec(plain, x, 0, y, from, from, to));
        }
        count(rates, 1);
        return y[7];
    }

    @Benchmark
    public float matvecBefore(Rates rates) {
        if (quant != null) {
            ParallelRows.run(pool, rows, threads, (from, to) -> QuantBaseline.matvec(quant, x, 0, y, from, from, to));
        } else {
            ParallelRows.run(pool, rows, threads, (from, to) -> MatrixKernels.matvec(plain, x, 0, y, from, from, to));
        }
        count(rates, 1);
        return y[7];
    }

    @Benchmark
    public float matmul64(Rates rates) {
        if (quant != null) {
            ParallelRows.run(pool, rows, threads, (from, to) -> QuantKernels.matmul(quant, xs, TOKENS, ys, rows, from, to));
        } else {
            ParallelRows.run(pool, rows, threads, (from, to) -> MatrixKernels.matmul(plain, xs, TOKENS, ys, rows, from, to));
        }
        count(rates, TOKENS);
        return ys[7];
    }

    @Benchmark
    public long readFloor(Rates rates) {
        long rowBytes = bytes / rows;
        ParallelRows.run(pool, rows, threads, (from, to) -> {
            long end = to * rowBytes;
            long p = from * rowBytes;
            LongVector acc = LongVector.zero(L);
            for (long bound = end - L.vectorByteSize(); p <= bound; p += L.vectorByteSize()) {
                acc = acc.add(LongVector.fromMemorySegment(L, data, p, ByteOrder.LITTLE_ENDIAN));
            }
            sink[8 * (from * threads / rows)] = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD) + p;
        });
        count(rates, 1);
        return sink[0];
    }
}
