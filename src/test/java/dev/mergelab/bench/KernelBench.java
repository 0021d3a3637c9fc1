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
 * Float kernels, vector against scalar, on 64K-element chunks. Score: bytes of float input read per ns
 * (GB/s): axpy and dot read 2 arrays (8 bytes per element), weightedSum3 reads 3, sumSquares reads 1.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBench {

    static final int N = BenchData.N;

    @Param({"vector", "scalar"})
    public String impl;

    KernelSupport k;
    float[] x;
    float[] y;
    float[] z;
    float[] out;
    float[][] three;
    float[] weights = {0.5f, 0.3f, 0.2f};

    @Setup(Level.Trial)
    public void setup() {
        k = impl.equals("scalar") ? Vectorization.scalarKernels() : Vectorization.vectorKernels().orElseThrow();
        x = BenchData.gaussian(N, 3, 0.02);
        y = BenchData.gaussian(N, 4, 0.02);
        z = BenchData.gaussian(N, 5, 0.02);
        out = new float[N];
        three = new float[][] {x, y, z};
    }

    @Benchmark
    @OperationsPerInvocation(8 * N)
    public float[] axpy() {
        // Alternate the sign so the accumulator stays bounded across invocations.
        k.axpy(0.5f, x, 0, out, 0, N);
        k.axpy(-0.5f, x, 0, out, 0, N);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(12 * N)
    public float[] weightedSum3() {
        k.weightedSum(three, weights, 0, out, 0, N);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(8 * N)
    public double dot() {
        return k.dot(x, 0, y, 0, N);
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public double sumSquares() {
        return k.sumSquares(x, 0, N);
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public double l1Norm() {
        return k.l1Norm(x, 0, N);
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public float maxAbs() {
        return k.maxAbs(x, 0, N);
    }
}
