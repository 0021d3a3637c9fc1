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
 * arcee_fusion's per-row divergence KL(softmax θ_1 + 1e-8 ‖ softmax θ_b + 1e-8) over 2048-element rows
 * (TinyLlama's hidden size): the vector kernel, its scalar reference, and the {@code Math.exp} /
 * {@code Math.log} loop it replaced. Score: row elements per ns.
 * <pre>  bench/jmh.sh -f 1 -wi 3 -i 5 -r 1s SoftmaxKlBench</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SoftmaxKlBench {

    static final int N = BenchData.N;
    static final int ROW = 2048;

    @Param({"vector", "scalar", "math"})
    public String impl;

    MethodKernelSupport k;
    float[] base;
    float[] other;
    double[] scratch = new double[2 * ROW];

    @Setup(Level.Trial)
    public void setup() {
        k = switch (impl) {
            case "scalar" -> MethodKernels.scalar();
            case "vector" -> MethodKernels.vector().orElseThrow();
            default -> null;
        };
        base = BenchData.gaussian(N, 3, 0.02);
        float[] delta = BenchData.gaussian(N, 4, 0.004);
        other = new float[N];
        for (int i = 0; i < N; i++) {
            other[i] = base[i] + delta[i];
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double rows() {
        double sum = 0;
        for (int off = 0; off < N; off += ROW) {
            sum += k == null ? mathLoop(other, base, off, ROW, scratch) : k.softmaxKl(other, base, off, ROW, 1e-8, scratch);
        }
        return sum;
    }

    /** The formula as written before the kernel: Math.exp and Math.log per element, running sums. */
    static double mathLoop(float[] x, float[] y, int off, int len, double[] s) {
        double sx = expShifted(x, off, len, s, 0);
        double sy = expShifted(y, off, len, s, len);
        double kl = 0;
        for (int j = 0; j < len; j++) {
            double p = s[j] / sx + 1e-8;
            double q = s[len + j] / sy + 1e-8;
            kl += p * Math.log(p / q);
        }
        return kl;
    }

    private static double expShifted(float[] x, int off, int len, double[] out, int at) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            max = Math.max(max, x[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < len; j++) {
            out[at + j] = Math.exp(x[off + j] - max);
            sum += out[at + j];
        }
        return sum;
    }
}
