package dev.mergelab.bench;

import dev.mergelab.tensor.KernelSupport;
import dev.mergelab.tensor.Vectorization;
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
 * compat's pair counts on two task vectors whose signs agree about as often as real fine-tunes' do,
 * vector against scalar. Score: positions per ns.
 * <pre>  bench/jmh.sh -f 1 -wi 3 -i 5 -r 1s SignCountBench</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SignCountBench {

    static final int N = BenchData.N;

    @Param({"vector", "scalar"})
    public String impl;

    KernelSupport k;
    float[] x;
    float[] y;

    @Setup(Level.Trial)
    public void setup() {
        k = impl.equals("scalar") ? Vectorization.scalarKernels() : Vectorization.vectorKernels().orElseThrow();
        x = BenchData.gaussian(N, 3, 0.004);
        float[] own = BenchData.gaussian(N, 4, 0.004);
        y = new float[N];
        for (int i = 0; i < N; i++) {
            y[i] = x[i] + own[i];
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public int countSignConflicts() {
        return k.countSignConflicts(x, y, N);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public int countBothNonZero() {
        return k.countBothNonZero(x, y, N);
    }
}
