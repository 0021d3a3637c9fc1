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
 * arcee_fusion's per-element kernels once the row divergences are known: the importance
 * (scaledAbsDifference) and the combine that keeps the changes whose importance clears the threshold
 * (keepLargeChanges, threshold at about the 90th percentile), vector against scalar. Score: elements per ns.
 * <pre>  bench/jmh.sh -f 1 -wi 3 -i 5 -r 1s ArceeCombineBench</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ArceeCombineBench {

    static final int N = BenchData.N;
    static final double KL = 1.3e-5;

    @Param({"vector", "scalar"})
    public String impl;

    MethodKernelSupport k;
    float[] base;
    float[] other;
    float[] out;
    float threshold;

    @Setup(Level.Trial)
    public void setup() {
        k = impl.equals("scalar") ? MethodKernels.scalar() : MethodKernels.vector().orElseThrow();
        base = BenchData.gaussian(N, 3, 0.02);
        float[] delta = BenchData.gaussian(N, 4, 0.004);
        other = new float[N];
        for (int i = 0; i < N; i++) {
            other[i] = base[i] + delta[i];
        }
        out = new float[N];
        threshold = (float) (1.645 * 0.004 * KL); // |δ| above 1.645σ: about 10% of elements
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] scaledAbsDifference() {
        k.scaledAbsDifference(other, base, 0, N, KL, out, 0);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] keepLargeChanges() {
        k.keepLargeChanges(other, base, 0, N, KL, threshold, out, 0);
        return out;
    }
}
