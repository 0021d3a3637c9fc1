package dev.mergelab.bench;

import dev.mergelab.method.kernel.MethodKernelSupport;
import dev.mergelab.method.kernel.MethodKernels;
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
 * The scan behind arcee_fusion's sample: the positions whose 30-bit SplitMix64 key clears a bound that
 * about 9% clear (10^6 of an 11.5M-element MLP matrix), vector against scalar. Score: positions per ns.
 * <pre>  bench/jmh.sh -f 1 -wi 3 -i 5 -r 1s PositionKeysBench</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PositionKeysBench {

    static final int N = BenchData.N;

    @Param({"vector", "scalar"})
    public String impl;

    MethodKernelSupport k;
    int[] offsets = new int[N];
    long start;

    @Setup(Level.Trial)
    public void setup() {
        k = impl.equals("scalar") ? MethodKernels.scalar() : MethodKernels.vector().orElseThrow();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public int scan() {
        start += N; // fresh positions each call, as the scan walks a tensor
        return k.positionKeysAtOrAbove(0x5DEECE66DL, start, N, (int) ((1L << 30) * 0.913), offsets, 0);
    }
}
