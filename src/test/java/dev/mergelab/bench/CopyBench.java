package dev.mergelab.bench;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The memory-copy baselines (plain {@link MemorySegment#copy} of the same byte counts the codecs
 * handle) and the codecs that have a single implementation: F32 (a copy) and FP8 (tables / scalar).
 *
 * <p>Scores are bytes per nanosecond, i.e. GB/s: each invocation counts its encoded-side bytes as
 * operations ({@code @OperationsPerInvocation}). Segments are native, like mmapped tensors.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CopyBench {

    static final int N = BenchData.N;

    Arena arena;
    MemorySegment src;
    MemorySegment dst;
    float[] floats;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        floats = BenchData.gaussian(N, 1, 0.02);
        src = arena.allocate(4L * N, 64);
        dst = arena.allocate(4L * N, 64);
        Codecs.encode(DType.F32, floats, 0, N, src, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public MemorySegment memcpy1B() {
        MemorySegment.copy(src, 0, dst, 0, N);
        return dst;
    }

    @Benchmark
    @OperationsPerInvocation(2 * N)
    public MemorySegment memcpy2B() {
        MemorySegment.copy(src, 0, dst, 0, 2L * N);
        return dst;
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public MemorySegment memcpy4B() {
        MemorySegment.copy(src, 0, dst, 0, 4L * N);
        return dst;
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public float[] decodeF32() {
        Codecs.decode(DType.F32, src, 0, floats, 0, N);
        return floats;
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public MemorySegment encodeF32() {
        Codecs.encode(DType.F32, floats, 0, N, dst, 0);
        return dst;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] decodeE4M3() {
        Codecs.decode(DType.F8_E4M3, src, 0, floats, 0, N);
        return floats;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public MemorySegment encodeE4M3() {
        Codecs.encode(DType.F8_E4M3, floats, 0, N, dst, 0);
        return dst;
    }
}
