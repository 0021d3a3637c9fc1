package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link LaneRanks} against the definition: the stable argsort of |x| (ties in index order), inverted.
 * Data cover what changes its digit plan: repeated values, ±0, bf16 task vectors (zero low mantissa
 * bits), arbitrary bit patterns (all 31 key bits vary: 3 digits), a shared middle digit (skipped), one
 * outlier over tiny values, and strided lanes. NaN-free (della's inputs are finite).
 */
class LaneRanksPropertiesTest {

    /** The definition: sort indices by (|x| key, index), then rank[order[r]] = r. */
    static int[] reference(float[] x, int off, int stride, int len) {
        int[] key = new int[len];
        for (int k = 0; k < len; k++) {
            key[k] = Float.floatToRawIntBits(x[off + k * stride]) & 0x7FFFFFFF;
        }
        Integer[] order = IntStream.range(0, len).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingInt(k -> key[k]).thenComparingInt(k -> k));
        int[] rank = new int[len];
        for (int r = 0; r < len; r++) {
            rank[order[r]] = r;
        }
        return rank;
    }

    static float[] data(Random r, int kind, int n) {
        float[] x = new float[n];
        float[] pool = new float[1 + r.nextInt(12)];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = i == 0 ? 0f : (float) r.nextGaussian();
        }
        int shared = r.nextInt(1 << 12);
        for (int i = 0; i < n; i++) {
            float v = switch (kind) {
                case 0 -> pool[r.nextInt(pool.length)];   // heavy ties, zeros
                case 1 -> {                                    // any non-NaN bit pattern
                    float f;
                    do {
                        f = Float.intBitsToFloat(r.nextInt());
                    } while (Float.isNaN(f));
                    yield f;
                }
                case 2 -> {                                    // bf16 fine-tune minus bf16 base
                    float base = bf16((float) (r.nextGaussian() * 0.02));
                    yield bf16(base + (float) (r.nextGaussian() * 0.002)) - base;
                }
                case 3 -> Float.intBitsToFloat(                // bits 12..23 the same in every key
                        (r.nextInt(0x70) << 24) | (shared << 12) | r.nextInt(1 << 12));
                default -> i == 0 ? 1e30f : (float) (r.nextGaussian() * 1e-30);   // one outlier
            };
            x[i] = r.nextBoolean() ? -v : v;
        }
        return x;
    }

    private static float bf16(float v) {
        return Float.intBitsToFloat((Float.floatToRawIntBits(v) + 0x8000) & 0xFFFF0000);
    }

    @Property(tries = 300)
    void ranksEqualTheStableArgsortOfArgsort(@ForAll long seed, @ForAll @IntRange(min = 0, max = 6000) int len,
                                             @ForAll @IntRange(min = 0, max = 4) int kind,
                                             @ForAll @IntRange(min = 1, max = 3) int stride,
                                             @ForAll @IntRange(min = 0, max = 2) int off) {
        Random r = new Random(seed);
        float[] x = data(r, kind, off + Math.max(0, len - 1) * stride + 1);
        int[] ranks = new int[len + 2];
        Arrays.fill(ranks, -7);
        LaneRanks lanes = new LaneRanks();
        lanes.ranks(x, off, stride, len, ranks);
        int[] expected = Arrays.copyOf(reference(x, off, stride, len), len + 2);
        expected[len] = -7;
        expected[len + 1] = -7;
        assertArrayEquals(expected, ranks);
    }

    /** Buffers are reused across lanes of different lengths and digit plans. */
    @Property(tries = 50)
    void oneInstanceServesManyLanes(@ForAll long seed) {
        Random r = new Random(seed);
        LaneRanks lanes = new LaneRanks();
        for (int t = 0; t < 12; t++) {
            int len = r.nextInt(3000);
            float[] x = data(r, r.nextInt(5), len);
            int[] ranks = new int[len];
            lanes.ranks(x, 0, 1, len, ranks);
            assertArrayEquals(reference(x, 0, 1, len), ranks);
        }
    }
}
