package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mergelab.tensor.FloatKernelsTest;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * sce's kernels ({@link MethodKernels#populationVariance}, {@link MethodKernels#zeroWhereKeyBelow},
 * {@link MethodKernels#electedWeightedMean}): the vector implementation equals the scalar one bit for bit,
 * and both equal the plain per-element loops sce ran before.
 */
class SceKernelsPropertiesTest {

    static final MethodKernelSupport REF = MethodKernels.scalar();
    static final MethodKernelSupport VEC = MethodKernels.vector().orElseThrow();

    static float[][] inputs(Random r, int m, int n, boolean specials) {
        float[][] xs = new float[m][];
        for (int i = 0; i < m; i++) {
            xs[i] = FloatKernelsTest.data(r, n, specials);
        }
        return xs;
    }

    static float[][] copy(float[][] xs) {
        return Arrays.stream(xs).map(float[]::clone).toArray(float[][]::new);
    }

    /** sce's variance loop as it was: mean, then squared deviations, in double. */
    static float plainVariance(float[][] xs, int j) {
        double mean = 0;
        for (float[] x : xs) {
            mean += x[j];
        }
        mean /= xs.length;
        double ss = 0;
        for (float[] x : xs) {
            double dev = x[j] - mean;
            ss += dev * dev;
        }
        return (float) (ss / xs.length);
    }

    /** sce's combine loop as it was, through {@link SignConsensus}. */
    static float plainElectedMean(float[][] t, float[] c, float[] base, int j) {
        int s = SignConsensus.elect(t, j, SignConsensus.Vote.SUM);
        float num = 0;
        float den = 0;
        for (int i = 0; i < t.length; i++) {
            if (SignConsensus.agrees(t[i][j], s)) {
                num += c[i] * t[i][j];
                den += c[i];
            }
        }
        return base[j] + num / Math.max(den, 1e-6f);
    }

    @Property(tries = 300)
    void varianceMatchesTheLoopInEveryImplementation(@ForAll long seed, @ForAll @IntRange(min = 1, max = 5) int m,
                                                     @ForAll @IntRange(min = 0, max = 200) int n, @ForAll boolean specials) {
        float[][] xs = inputs(new Random(seed), m, n, specials);
        float[] vec = new float[n];
        float[] ref = new float[n];
        VEC.populationVariance(xs, vec, n);
        REF.populationVariance(xs, ref, n);
        for (int j = 0; j < n; j++) {
            float plain = plainVariance(xs, j);
            assertEquals(Float.floatToIntBits(plain), Float.floatToIntBits(ref[j]), "scalar at " + j);
            assertEquals(Float.floatToIntBits(plain), Float.floatToIntBits(vec[j]), "vector at " + j);
        }
    }

    @Property(tries = 300)
    void zeroWhereKeyBelowMatchesTheLoop(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int m,
                                         @ForAll @IntRange(min = 0, max = 200) int n) {
        Random r = new Random(seed);
        float[][] xs = inputs(r, m, n, true);
        int[] keys = new int[n];
        for (int j = 0; j < n; j++) {
            keys[j] = r.nextInt(8) * 1000; // few distinct keys, so the cut key has ties
        }
        int key = r.nextInt(9) * 1000;
        float[][] expected = copy(xs);
        int equal = 0;
        for (int j = 0; j < n; j++) {
            if (keys[j] < key) {
                for (float[] x : expected) {
                    x[j] = 0f;
                }
            }
            equal += keys[j] == key ? 1 : 0;
        }
        for (MethodKernelSupport k : new MethodKernelSupport[] {REF, VEC}) {
            float[][] got = copy(xs);
            assertEquals(equal, k.zeroWhereKeyBelow(keys, key, got, n), k.name());
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(Float.floatToIntBits(expected[i][j]), Float.floatToIntBits(got[i][j]), k.name() + " [" + i + "][" + j + "]");
                }
            }
        }
    }

    @Property(tries = 300)
    void electedWeightedMeanMatchesTheLoop(@ForAll long seed, @ForAll @IntRange(min = 1, max = 5) int m,
                                           @ForAll @IntRange(min = 0, max = 200) int n, @ForAll boolean specials) {
        Random r = new Random(seed);
        float[][] t = inputs(r, m, n, specials);
        for (float[] ti : t) {
            for (int j = 0; j < n; j++) {
                if (r.nextInt(6) == 0) {
                    ti[j] = 0f; // erased positions and exact zeros never agree
                }
            }
        }
        float[] c = new float[m];
        for (int i = 0; i < m; i++) {
            c[i] = r.nextInt(5) == 0 ? 0f : r.nextFloat();
        }
        float[] base = FloatKernelsTest.data(r, n, specials);
        float[] vec = new float[n];
        float[] ref = new float[n];
        VEC.electedWeightedMean(t, c, 1e-6f, base, vec, n);
        REF.electedWeightedMean(t, c, 1e-6f, base, ref, n);
        for (int j = 0; j < n; j++) {
            float plain = plainElectedMean(t, c, base, j);
            assertEquals(Float.floatToIntBits(plain), Float.floatToIntBits(ref[j]), "scalar at " + j);
            assertEquals(Float.floatToIntBits(plain), Float.floatToIntBits(vec[j]), "vector at " + j);
        }
    }

    @Test
    void checksTheirArguments() {
        float[][] two = {new float[4], new float[4]};
        assertThrows(IllegalArgumentException.class, () -> MethodKernels.populationVariance(new float[0][], new float[4], 4));
        assertThrows(IndexOutOfBoundsException.class, () -> MethodKernels.populationVariance(two, new float[3], 4));
        assertThrows(IndexOutOfBoundsException.class, () -> MethodKernels.zeroWhereKeyBelow(new int[3], 0, two, 4));
        assertThrows(IllegalArgumentException.class,
                () -> MethodKernels.electedWeightedMean(two, new float[1], 1e-6f, new float[4], new float[4], 4));
        assertThrows(IndexOutOfBoundsException.class,
                () -> MethodKernels.electedWeightedMean(two, new float[2], 1e-6f, new float[3], new float[4], 4));
    }
}
