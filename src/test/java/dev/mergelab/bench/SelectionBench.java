package dev.mergelab.bench;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.MagnitudeSelection;
import java.util.Arrays;
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
 * The k-th largest magnitude (k = 30% of n, a TIES density) over a 1M-element tensor, against a full
 * sort of the same keys. {@code data=bf16} rounds the values to bf16 first, so most values repeat, as
 * in real half-precision checkpoints. Score: bytes of float input per ns (GB/s).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SelectionBench {

    static final int N = 1 << 20;

    @Param({"f32", "bf16"})
    public String data;

    float[] x;
    int[] scratch = new int[N];

    @Setup(Level.Trial)
    public void setup() {
        x = BenchData.gaussian(N, 6, 0.02);
        if (data.equals("bf16")) {
            for (int i = 0; i < N; i++) {
                x[i] = Codecs.bf16ToFloat(Codecs.floatToBf16(x[i]));
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public int kthLargest() {
        return MagnitudeSelection.kthLargestKey(x, 0, N, (int) (0.3 * N), scratch);
    }

    @Benchmark
    @OperationsPerInvocation(4 * N)
    public int fullSortBaseline() {
        for (int i = 0; i < N; i++) {
            scratch[i] = Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF;
        }
        Arrays.sort(scratch);
        return scratch[N - (int) (0.3 * N)];
    }
}
