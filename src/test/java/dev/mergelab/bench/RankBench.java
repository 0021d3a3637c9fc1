package dev.mergelab.bench;

import dev.mergelab.method.kernel.LaneRanks;
import dev.mergelab.method.kernel.PositionRandom;
import dev.mergelab.method.kernel.Sparsifier;
import dev.mergelab.tensor.Codecs;
import java.util.Arrays;
import java.util.Random;
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
 * della's per-lane work over 176K elements of a task vector (rows of {@code lane} elements): the stable
 * magnitude rank of every element ({@link LaneRanks}); the whole della keep mask as the combine pass
 * applies it without a remembered mask ({@code dellaMask}: draws, rank-dependent keep decisions via
 * {@code RankedKeep}, zeroing; includes copying the chunk, as the engine's buffers are overwritten);
 * and, as a baseline, ranks from sorting packed (key, index) longs with {@link Arrays#sort(long[])}. {@code data=bf16} is a task vector
 * between two bf16 checkpoints (a base and a fine-tune, both rounded to bf16), so magnitudes repeat
 * and their low mantissa bits are zero, as in real half-precision merges; {@code f32} is a float32
 * Gaussian (nearly all keys distinct, every bit varies). Lane lengths are TinyLlama's row lengths
 * (hidden 2048, intermediate 5632). Score: elements ranked per ns (×10^9 = elements/s).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RankBench {

    /** Elements per invocation: a whole number of lanes of both lengths (8 × lcm(2048, 5632)). */
    static final int ELEMENTS = 8 * 22528;

    @Param({"bf16", "f32"})
    public String data;

    @Param({"2048", "5632"})
    public int lane;

    float[] x;
    float[] work;
    Sparsifier della;
    int[] ranks;
    long[] packed;
    final LaneRanks lanes = new LaneRanks();

    @Setup(Level.Trial)
    public void setup() {
        x = data.equals("bf16") ? bf16Delta(ELEMENTS, 7) : BenchData.gaussian(ELEMENTS, 7, 0.002);
        work = new float[ELEMENTS];
        ranks = new int[lane];
        packed = new long[lane];
        // density 0.5, ε 0.1 as in the benchmark recipes; no rescale, so apply() draws and ranks.
        della = Sparsifier.della(new long[] {ELEMENTS / lane, lane}, PositionRandom.key(0, "bench", 1), 0.5, 0.1, null);
    }

    /** θ_ft − θ_b with both rounded to bf16: weights ~ N(0, 0.02²), fine-tune shifts ~ N(0, 0.002²). */
    static float[] bf16Delta(int n, long seed) {
        Random r = new Random(seed);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            float base = bf16((float) (r.nextGaussian() * 0.02));
            float ft = bf16(base + (float) (r.nextGaussian() * 0.002));
            d[i] = ft - base;
        }
        return d;
    }

    private static float bf16(float v) {
        return Codecs.bf16ToFloat(Codecs.floatToBf16(v));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public int[] laneRanks() {
        for (int off = 0; off < ELEMENTS; off += lane) {
            lanes.ranks(x, off, 1, lane, ranks);
        }
        return ranks;
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public float[] dellaMask() {
        System.arraycopy(x, 0, work, 0, ELEMENTS);
        della.apply(0, work, ELEMENTS);
        return work;
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public int[] packedSortBaseline() {
        for (int off = 0; off < ELEMENTS; off += lane) {
            for (int k = 0; k < lane; k++) {
                packed[k] = (long) (Float.floatToRawIntBits(x[off + k]) & 0x7FFFFFFF) << 32 | k;
            }
            Arrays.sort(packed);
            for (int r = 0; r < lane; r++) {
                ranks[(int) packed[r]] = r;
            }
        }
        return ranks;
    }
}
