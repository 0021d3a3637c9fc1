package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * della_magprune and Bernoulli against direct transcriptions of METHODS.md §4.2/§4.4: the uniform draw
 * u = PositionRandom.uniform32 of the position's 32-bit word compared with p in double, lane ranks by the reference argsort of argsort.
 * The sparsifiers compare integer thresholds, rank with a radix sort and, when rescaling, remember
 * the mask of the statistics pass for the combine pass; none of that may change a bit. Chunks of any
 * row count, starting anywhere inside a 64-bit mask word.
 */
class PositionMaskPropertiesTest {

    /** §4.4 as written: keep when u &lt; p(rank), p = density − ε + 2ε·rank/(C−1) (C = 1: p = density). */
    static float[] dellaReference(float[] x, long[] shape, double density, double eps, long key) {
        int c = shape.length <= 1 ? x.length : (int) shape[1];
        int inner = 1;
        for (int d = 2; d < shape.length; d++) {
            inner *= (int) shape[d];
        }
        float[] y = new float[x.length];
        for (int s = 0; s < x.length; s += c * inner) {
            for (int i = 0; i < inner; i++) {
                int[] rank = LaneRanksPropertiesTest.reference(x, s + i, inner, c);
                for (int k = 0; k < c; k++) {
                    int j = s + i + k * inner;
                    double p = c > 1 ? density - eps + 2 * eps / (c - 1) * rank[k] : density;
                    y[j] = PositionRandom.uniform32(PositionRandom.word(key, j)) < p ? x[j] : 0f;
                }
            }
        }
        return y;
    }

    /** §4.2 as written: keep when u &lt; density. */
    static float[] bernoulliReference(float[] x, double density, long key) {
        float[] y = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = PositionRandom.uniform32(PositionRandom.word(key, j)) < density ? x[j] : 0f;
        }
        return y;
    }

    /** Then §4.5's rescale over the whole tensor, as one chunk computes it. */
    static float[] rescaled(float[] x, float[] y, Norm norm) {
        if (norm == null) {
            return y;
        }
        Rescale r = new Rescale(norm);
        r.addBefore(x, x.length);
        r.addAfter(y, y.length);
        float f = r.factor();
        float[] out = y.clone();
        if (f != 1f) {
            for (int j = 0; j < out.length; j++) {
                out[j] *= f;
            }
        }
        return out;
    }

    /** bf16-like task vector values: repeated magnitudes, both zeros. */
    static float[] values(Random r, int n) {
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            float v = (float) (r.nextGaussian() * 0.002);
            v = Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xFFFF0000);
            x[j] = r.nextInt(40) == 0 ? (r.nextBoolean() ? 0f : -0f) : v;
        }
        return x;
    }

    static long[] shape(int rank, int rows, int cols) {
        return switch (rank) {
            case 0 -> new long[]{(long) rows * cols};
            case 1 -> new long[]{rows, cols};
            default -> new long[]{rows, 2, cols};
        };
    }

    @Property(tries = 200)
    void dellaIsTheDefinition(@ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int rows,
                              @ForAll @IntRange(min = 1, max = 150) int cols, @ForAll @IntRange(min = 0, max = 2) int rank,
                              @ForAll @IntRange(min = 1, max = 40) int chunkRows, @ForAll boolean rescale) {
        Random r = new Random(seed);
        long[] shape = shape(rank, rows, cols);
        int n = (int) (shape.length == 3 ? (long) rows * 2 * cols : (long) rows * cols);
        float[] x = values(r, n);
        double density = 0.2 + 0.6 * r.nextDouble();
        double eps = Math.min(density, 1 - density) * r.nextDouble() * 0.99;
        long key = r.nextLong();
        Norm norm = rescale ? Norm.L1 : null;
        float[] expected = rescaled(x, dellaReference(x, shape, density, eps, key), norm);
        assertArrayEquals(expected, Sparsify.dellaMagprune(x, shape, density, eps, norm, key));
        if (shape.length <= 2) {   // from rank 3 a lane spans rows: della then takes whole tensors only
            int chunk = shape.length == 1 ? n : chunkRows * cols;
            assertMasksAgree(expected, Sparsify.run(Sparsifier.della(shape, key, density, eps, norm), x, chunk));
        }
    }

    @Property(tries = 100)
    void bernoulliIsTheDefinition(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3000) int n,
                                  @ForAll @IntRange(min = 1, max = 3000) int chunk, @ForAll boolean rescale) {
        Random r = new Random(seed);
        float[] x = values(r, n);
        double density = r.nextDouble();
        long key = r.nextLong();
        Norm norm = rescale ? Norm.L1 : null;
        float[] expected = rescaled(x, bernoulliReference(x, density, key), norm);
        assertArrayEquals(expected, Sparsify.bernoulli(x, density, norm, key));
        assertMasksAgree(expected, Sparsify.run(Sparsifier.bernoulli(n, key, density, norm), x, chunk));
    }

    /**
     * Chunked runs drop the same elements and keep the same bits up to the rescale factor (their norms
     * are summed chunk by chunk, so the factor may differ in the last place).
     */
    static void assertMasksAgree(float[] whole, float[] chunked) {
        for (int j = 0; j < whole.length; j++) {
            boolean dropped = Float.floatToRawIntBits(whole[j]) == 0;
            assertEquals(dropped, Float.floatToRawIntBits(chunked[j]) == 0, "mask at " + j);
            if (!dropped) {
                assertEquals(whole[j], chunked[j], Math.abs(whole[j]) * 1e-6, "value at " + j);
            }
        }
    }

    /** The remembered mask round-trips through chunks that start and end anywhere in a word. */
    @Property(tries = 200)
    void keepBitsRoundTrip(@ForAll long seed, @ForAll @IntRange(min = 0, max = 700) int n,
                           @ForAll @IntRange(min = 1, max = 130) int chunk) {
        Random r = new Random(seed);
        int[] keep = new int[n];
        for (int j = 0; j < n; j++) {
            keep[j] = r.nextBoolean() ? -1 : 0;
        }
        KeepBits bits = KeepBits.forPositions(n);
        for (int at = 0; at < n; at += chunk) {
            int len = Math.min(chunk, n - at);
            bits.record(at, java.util.Arrays.copyOfRange(keep, at, at + len), len);
        }
        float[] x = values(r, n);
        float[] y = x.clone();
        for (int at = 0; at < n; at += chunk) {
            int len = Math.min(chunk, n - at);
            float[] part = java.util.Arrays.copyOfRange(y, at, at + len);
            bits.apply(at, part, len);
            System.arraycopy(part, 0, y, at, len);
        }
        for (int j = 0; j < n; j++) {
            assertEquals(keep[j] != 0 ? Float.floatToRawIntBits(x[j]) : 0, Float.floatToRawIntBits(y[j]), "at " + j);
        }
    }
}
