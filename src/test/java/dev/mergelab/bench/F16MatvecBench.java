package dev.mergelab.bench;

import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.MatrixKernels;
import dev.mergelab.tensor.ParallelRows;
import dev.mergelab.tensor.RowMatrix;
import dev.mergelab.tensor.Vectorization;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
 * F16 generation A/B in one run: {@code current} is {@link MatrixKernels#matvec} (halves converted by the CPU's
 * half-to-float instruction into an L1 buffer, then FMAs), {@code inRegister} the previous kernel kept here for
 * comparison (halves converted with Vector API integer lane operations: sign extension, shift, mask, multiply
 * by 2^112, Inf/NaN fixed by a masked OR; two rows per sweep), {@code bf16} the BF16 kernel on the same values
 * (the speed F16 is to reach). Secondary score {@code gbytes} = GB/s of weights read. Example (short):
 * {@code bench/jmh.sh -f 1 -wi 2 -i 4 -r 1s F16MatvecBench}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class F16MatvecBench {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int V = F.length();

    @Param({"2048x5632", "5632x2048", "32000x2048"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    Arena arena;
    RowMatrix f16;
    RowMatrix bf16;
    float[] x;
    float[] y;
    ExecutorService pool;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Rates {
        public double gbytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        arena = Arena.ofShared();
        MemorySegment h = arena.allocate(2L * rows * cols + 1).asSlice(1);
        MemorySegment b = arena.allocate(2L * rows * cols + 1).asSlice(1);
        for (int r = 0; r < rows; r++) {
            float[] row = BenchData.gaussian(cols, r, 0.02);
            Vectorization.codecs().encodeF16(row, 0, cols, h, (long) r * cols);
            Vectorization.codecs().encodeBf16(row, 0, cols, b, (long) r * cols);
        }
        f16 = new RowMatrix(h, DType.F16, rows, cols);
        bf16 = new RowMatrix(b, DType.BF16, rows, cols);
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
    public float current(Rates rates) {
        ParallelRows.run(pool, f16.rows(), threads, (from, to) -> MatrixKernels.matvec(f16, x, 0, y, from, from, to));
        rates.gbytes += 2.0 * f16.rows() * f16.cols() / 1e9;
        return y[7];
    }

    @Benchmark
    public float bf16(Rates rates) {
        ParallelRows.run(pool, bf16.rows(), threads, (from, to) -> MatrixKernels.matvec(bf16, x, 0, y, from, from, to));
        rates.gbytes += 2.0 * bf16.rows() * bf16.cols() / 1e9;
        return y[7];
    }

    @Benchmark
    public float inRegister(Rates rates) {
        ParallelRows.run(pool, f16.rows(), threads, (from, to) -> inRegister(f16, x, y, from, to));
        rates.gbytes += 2.0 * f16.rows() * f16.cols() / 1e9;
        return y[7];
    }

    /** The previous F16 matvec's inner loops (rows a multiple of 4, columns of V; lanes folded by reduceLanes). */
    static void inRegister(RowMatrix w, float[] x, float[] y, int from, int to) {
        float[] lanes = new float[4 * V];
        for (int r = from; r + 4 <= to; r += 4) {
            rows2(w, r, x, lanes, 0);
            rows2(w, r + 2, x, lanes, 2 * V);
            for (int j = 0; j < 4; j++) {
                y[r + j] = FloatVector.fromArray(F, lanes, j * V).reduceLanes(VectorOperators.ADD);
            }
        }
    }

    private static void rows2(RowMatrix w, int r, float[] x, float[] lanes, int at) {
        MemorySegment m = w.data();
        long stride = 2L * w.cols();
        long p0 = (long) r * stride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int k = 0, bound = F.loopBound(w.cols()); k < bound; k += V) {
            FloatVector xv = FloatVector.fromArray(F, x, k);
            long p = p0 + 2L * k;
            a0 = f16(m, p).fma(xv, a0);
            a1 = f16(m, p + stride).fma(xv, a1);
        }
        a0.intoArray(lanes, at);
        a1.intoArray(lanes, at + V);
    }

    private static FloatVector f16(MemorySegment m, long p) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, m, p, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        FloatVector scaled = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
        return scaled.reinterpretAsInts()
                .lanewise(VectorOperators.OR, 0x7F800000, h.and(0x7C00).compare(VectorOperators.EQ, 0x7C00))
                .reinterpretAsFloats();
    }
}
