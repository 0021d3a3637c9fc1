package dev.mergelab.bench;

import dev.mergelab.tensor.CodecSupport;
import dev.mergelab.tensor.Vectorization;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * BF16 and F16 codecs, vector against scalar, on one 64K-element chunk from a native segment at an
 * odd address (mmapped tensors have no alignment guarantee). Score: encoded bytes per ns (GB/s);
 * compare with {@link CopyBench#memcpy2B}, which copies the same number of bytes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CodecBench {

    static final int N = BenchData.N;

    @Param({"vector", "scalar"})
    public String impl;

    CodecSupport codecs;
    Arena arena;
    MemorySegment bf16;
    MemorySegment f16;
    MemorySegment out;
    float[] floats;

    @Setup(Level.Trial)
    public void setup() {
        codecs = impl.equals("scalar") ? Vectorization.scalarCodecs() : Vectorization.vectorCodecs().orElseThrow();
        arena = Arena.ofShared();
        floats = BenchData.gaussian(N, 2, 0.02);
        bf16 = arena.allocate(2L * N + 1).asSlice(1);
        f16 = arena.allocate(2L * N + 1).asSlice(1);
        out = arena.allocate(2L * N + 1).asSlice(1);
        Vectorization.scalarCodecs().encodeBf16(floats, 0, N, bf16, 0);
        Vectorization.scalarCodecs().encodeF16(floats, 0, N, f16, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(2 * N)
    public float[] decodeBf16() {
        codecs.decodeBf16(bf16, 0, floats, 0, N);
        return floats;
    }

    @Benchmark
    @OperationsPerInvocation(2 * N)
    public MemorySegment encodeBf16() {
        codecs.encodeBf16(floats, 0, N, out, 0);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(2 * N)
    public float[] decodeF16() {
        codecs.decodeF16(f16, 0, floats, 0, N);
        return floats;
    }

    @Benchmark
    @OperationsPerInvocation(2 * N)
    public MemorySegment encodeF16() {
        codecs.encodeF16(floats, 0, N, out, 0);
        return out;
    }
}
