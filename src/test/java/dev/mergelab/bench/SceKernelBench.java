package dev.mergelab.bench;

import dev.mergelab.method.kernel.MethodKernelSupport;
import dev.mergelab.method.kernel.MethodKernels;
import dev.mergelab.tensor.FloatKernels;
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
 * sce's per-chunk kernels on three task vectors, vector against scalar. Score: positions per ns.
 * <pre>  bench/jmh.sh -f 1 -wi 3 -i 5 -r 1s SceKernelBench</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SceKernelBench {

    static final int N = BenchData.N;

    @Param({"vector", "scalar"})
    public String impl;

    MethodKernelSupport k;
    float[][] tau;
    float[][] work;
    float[] base;
    float[] out;
    int[] keys;
    int medianKey;
    float[] c = {0.5f, 0.2f, 0.3f};

    @Setup(Level.Trial)
    public void setup() {
        k = impl.equals("scalar") ? MethodKernels.scalar() : MethodKernels.vector().orElseThrow();
        tau = new float[][] {BenchData.gaussian(N, 3, 0.004), BenchData.gaussian(N, 4, 0.004), BenchData.gaussian(N, 5, 0.004)};
        work = new float[3][N];
        base = BenchData.gaussian(N, 6, 0.02);
        out = new float[N];
        keys = new int[N];
        k.populationVariance(tau, out, N);
        FloatKernels.magnitudeKeys(out, 0, keys, 0, N);
        int[] sorted = keys.clone();
        java.util.Arrays.sort(sorted);
        medianKey = sorted[N / 2];
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] populationVariance() {
        k.populationVariance(tau, out, N);
        return out;
    }

    /** Drops the half of the positions below the median key (copying the task vectors back in first). */
    @Benchmark
    @OperationsPerInvocation(N)
    public int zeroWhereKeyBelow() {
        for (int i = 0; i < 3; i++) {
            System.arraycopy(tau[i], 0, work[i], 0, N);
        }
        return k.zeroWhereKeyBelow(keys, medianKey, work, N);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] electedWeightedMean() {
        k.electedWeightedMean(tau, c, 1e-6f, base, out, N);
        return out;
    }
}
