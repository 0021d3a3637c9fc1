package dev.mergelab.bench;

import dev.mergelab.method.kernel.Gram;
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

/**
 * The double-accumulating dot of karcher's and multislerp's Gram matrices ({@link Gram#dot}), vector
 * against its scalar reference order, on a 64K-element chunk. Score: bytes of float input read per ns
 * (GB/s, 8 bytes per element); compare with KernelBench.dot (float lanes) and CopyBench.memcpy4B.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GramBench {

    static final int N = BenchData.N;

    @Param({"vector", "scalar"})
    public String impl;

    float[] x;
    float[] y;

    @Setup(Level.Trial)
    public void setup() {
        x = BenchData.gaussian(N, 3, 0.02);
        y = BenchData.gaussian(N, 4, 0.02);
    }

    @Benchmark
    @OperationsPerInvocation(8 * N)
    public double gramDot() {
        return impl.equals("scalar") ? Gram.dotScalar(x, y, N) : Gram.dot(x, y, N);
    }
}
