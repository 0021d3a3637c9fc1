package dev.mergelab.bench;

import dev.mergelab.method.ChunkedMerge;
import dev.mergelab.method.Chunking;
import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.Params;
import dev.mergelab.method.TensorInput;
import dev.mergelab.method.TensorMerge;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Chunked merges of one 4096×4096 tensor, driven the way the engine drives them: {@code chunked(header)}
 * (no data) then every pass over 64-row chunks (1 MiB per input) copied out of the inputs, which stands
 * in for the engine decoding from mmapped bytes. Three fine-tuned models plus the base (slerp: the base
 * and one model, all it accepts). Single thread, as the engine runs one tensor's chunks.
 *
 * <p>Run: {@code java -cp <test classpath> org.openjdk.jmh.Main MethodBench}; each {@code @TearDown}
 * prints GB/s = input bytes (inputs × 64 MiB of float32) / mean time per merge.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g", "-XX:+UseParallelGC"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class MethodBench {

    private static final int ROWS = 4096;
    private static final int COLS = 4096;
    private static final int CHUNK_ROWS = 64;

    @Param({"linear", "ties", "dare_ties", "della", "slerp"})
    public String method;

    private MergeMethod merge;
    private TensorMerge header;
    private float[][] data;
    private final long[] shape = {ROWS, COLS};
    private long calls;
    private long nanos;

    @Setup(Level.Trial)
    public void setUp() {
        merge = MethodRegistry.get(method);
        int n = ROWS * COLS;
        boolean base = !method.equals("linear");
        int models = method.equals("slerp") ? 1 : 3;
        SplittableRandom r = new SplittableRandom(42);
        float[] theta = gaussian(r, n, 0.02, null);
        List<TensorInput> in = new ArrayList<>();
        List<float[]> arrays = new ArrayList<>();
        String tensor = "model.layers.0.mlp.down_proj.weight";
        if (base) {
            in.add(new TensorInput("base", null, shape, true, Params.forModel(merge.spec(), Map.of(), "base", tensor)));
            arrays.add(theta);
        }
        for (int i = 0; i < models; i++) {
            Map<String, Object> p = method.equals("slerp") ? Map.of() : Map.of("weight", 1.0 / models, "density", 0.5);
            in.add(new TensorInput("m" + i, null, shape, false, Params.forModel(merge.spec(), p, "m" + i, tensor)));
            arrays.add(gaussian(r, n, 0.004, theta));
        }
        Map<String, Object> global = method.equals("slerp") ? Map.of("t", 0.4) : Map.of();
        header = new TensorMerge(tensor, false, in, Params.global(merge.spec(), global, tensor), 7, w -> { });
        data = arrays.toArray(new float[0][]);
    }

    private static float[] gaussian(SplittableRandom r, int n, double scale, float[] around) {
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            double u = r.nextDouble(1e-12, 1);
            double v = r.nextDouble();
            x[j] = (float) (scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)) + (around == null ? 0 : around[j]);
        }
        return x;
    }

    @Benchmark
    public float[] chunkedMerge() {
        long t0 = System.nanoTime();
        ChunkedMerge plan = merge.chunked(header);
        float[] out = Chunking.run(plan, data, shape, CHUNK_ROWS);
        nanos += System.nanoTime() - t0;
        calls++;
        return out;
    }

    @TearDown(Level.Trial)
    public void report() {
        double bytes = (double) data.length * ROWS * COLS * Float.BYTES;
        double seconds = nanos / 1e9 / calls;
        System.out.printf("%n%s: %d inputs, %.1f ms per merge, %.2f GB/s of float32 input (incl. warmup)%n",
                method, data.length, seconds * 1e3, bytes / seconds / 1e9);
    }
}
