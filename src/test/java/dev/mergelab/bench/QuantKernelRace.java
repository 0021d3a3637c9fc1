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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link QuantKernelBench}'s variants for a machine shared with other work, where JMH's wall-clock scores swing by
 * several times: every variant runs in one JVM, round-robin, and each keeps its best time over the rounds (with one
 * thread the thread's CPU time, which other processes do not inflate; with two the wall time of the pair). Ratios
 * between variants of the same round are the figures to quote. Usage (after {@code mvn test-compile}):
 * {@code java @scripts/jvm.options -cp target/test-classes:target/classes dev.mergelab.bench.QuantKernelRace [rows x
 * cols] [rounds] [threads]}.
 */
public final class QuantKernelRace {

    private static final int TOKENS = 64;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    static volatile long sink;

    private QuantKernelRace() {
    }

    private record Variant(String name, Runnable run, double weights, double bytes) {
    }

    public static void main(String[] args) throws Exception {
        String[] dims = (args.length > 0 ? args[0] : "2048x5632").split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        String only = args.length > 3 ? args[3] : "";
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
        Arena arena = Arena.ofShared();
        Random r = new Random(1);
        float[] x = BenchData.gaussian(cols, -1, 1.0);
        float[] xs = new float[TOKENS * cols];
        for (int t = 0; t < TOKENS; t++) {
            System.arraycopy(BenchData.gaussian(cols, -2 - t, 1.0), 0, xs, t * cols, cols);
        }
        float[] y = new float[rows];
        float[] ys = new float[TOKENS * rows];
        double w = (double) rows * cols;
        List<Variant> variants = new ArrayList<>();
        for (String type : new String[] {"BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"}) {
            if (!only.isEmpty() && !only.contains(type)) {
                continue;
            }
            QuantType q = QuantType.ofGgmlName(type);
            long bytes = q == null ? 2L * rows * cols : rows * q.rowBytes(cols);
            MemorySegment data = arena.allocate(bytes + 1).asSlice(1);
            for (long i = 0; i < bytes; i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
            }
            long rowBytes = bytes / rows;
            if (q == null) {
                for (int row = 0; row < rows; row++) {
                    Vectorization.codecs().encodeBf16(BenchData.gaussian(cols, row, 0.02), 0, cols, data, (long) row * cols);
                }
                RowMatrix m = new RowMatrix(data, DType.BF16, rows, cols);
                variants.add(new Variant("BF16 matvec", () -> ParallelRows.run(pool, rows, threads,
                        (f, t) -> MatrixKernels.matvec(m, x, 0, y, f, f, t)), w, bytes));
                variants.add(new Variant("BF16 matmul64", () -> ParallelRows.run(pool, rows, threads,
                        (f, t) -> MatrixKernels.matmul(m, xs, TOKENS, ys, rows, f, t)), w * TOKENS, bytes));
            } else {
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
                QuantMatrix m = new QuantMatrix(data, q, rows, cols);
                variants.add(new Variant(type + " matvec before", () -> ParallelRows.run(pool, rows, threads,
                        (f, t) -> QuantBaseline.matvec(m, x, 0, y, f, f, t)), w, bytes));
                variants.add(new Variant(type + " matvec", () -> ParallelRows.run(pool, rows, threads,
                        (f, t) -> QuantKernels.matvec(m, x, 0, y, f, f, t)), w, bytes));
                if (q == QuantType.Q8_0 && Q8DotExperiment.supported()) {
                    byte[] xq = new byte[cols];
                    float[] xd = new float[cols / 32];
                    variants.add(new Variant("Q8_0 int8 dot (exp.)", () -> {
                        Q8DotExperiment.quantize(x, xq, xd);
                        ParallelRows.run(pool, rows, threads, (f, t) -> Q8DotExperiment.matvec(m, xq, xd, y, f, t));
                    }, w, bytes));
                }
                variants.add(new Variant(type + " matmul64", () -> ParallelRows.run(pool, rows, threads,
                        (f, t) -> QuantKernels.matmul(m, xs, TOKENS, ys, rows, f, t)), w * TOKENS, bytes));
            }
            variants.add(new Variant(type + " read floor", () -> ParallelRows.run(pool, rows, threads, (f, t) -> {
                long p = f * rowBytes;
                long end = t * rowBytes;
                LongVector acc = LongVector.zero(L);
                for (long bound = end - L.vectorByteSize(); p <= bound; p += L.vectorByteSize()) {
                    acc = acc.add(LongVector.fromMemorySegment(L, data, p, ByteOrder.LITTLE_ENDIAN));
                }
                sink += acc.reduceLanes(VectorOperators.ADD);
            }), w, bytes));
        }
        Map<String, Double> best = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (Variant v : variants) {
                int calls = v.name.contains("matmul") ? 2 : 20;
                v.run.run(); // warm
                long cpu0 = MX.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    v.run.run();
                }
                double s = (threads == 1 ? MX.getCurrentThreadCpuTime() - cpu0 : System.nanoTime() - t0) / 1e9 / calls;
                best.merge(v.name, s, Math::min);
            }
        }
        System.out.printf("%s, %d thread(s), best of %d rounds (%s time), %s%n", rows + "x" + cols, threads, rounds,
                threads == 1 ? "thread CPU" : "wall", Vectorization.description());
        for (Variant v : variants) {
            double s = best.get(v.name);
            System.out.printf("%-22s %9.3f ms  %7.2f G weights/s  %6.2f GB/s%n", v.name, s * 1e3, v.weights / s / 1e9,
                    v.bytes / s / 1e9);
        }
        pool.shutdownNow();
    }
}
