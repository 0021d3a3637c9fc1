package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link RadixSelect#guess}: guessing the cut buckets from the first chunk never changes the cuts, and a
 * miss (a first chunk unlike the rest) only brings back the second pass. Also the top-k sparsifier on
 * a tensor large enough to guess, against the definition.
 */
class RadixSelectGuessTest {

    /** The cuts for the given ranks, with or without guessing; the low pass only when resolve asks. */
    static MagnitudeCut[] cuts(int[] keys, int chunk, long[] ranks, boolean guess, boolean[] lowPass) {
        return cuts(keys, chunk, ranks, guess, lowPass, RadixSelect.MAX_KEPT, 1, 0);
    }

    /**
     * The same, with a list of at most {@code maxKept} guessed keys, and each pass's chunks after the
     * first shared at random (by {@code seed}) among {@code parts} partials added back at the end.
     */
    static MagnitudeCut[] cuts(int[] keys, int chunk, long[] ranks, boolean guess, boolean[] lowPass, int maxKept,
                               int parts, long seed) {
        RadixSelect select = new RadixSelect(maxKept);
        Random pick = new Random(seed);
        double[] fractions = new double[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            fractions[r] = (double) ranks[r] / keys.length;
        }
        RadixSelect[] partials = new RadixSelect[parts];
        for (int at = 0; at < keys.length; at += chunk) {
            int[] part = Arrays.copyOfRange(keys, at, Math.min(keys.length, at + chunk));
            RadixSelect into = at == 0 ? select : partialFor(select, partials, pick.nextInt(parts));
            into.countHigh(part, part.length);
            if (at == 0 && guess) {
                select.guess(part, part.length, fractions);
            }
        }
        addAll(select, partials);
        lowPass[0] = select.resolve(ranks);
        if (lowPass[0]) {
            for (int at = 0; at < keys.length; at += chunk) {
                int[] part = Arrays.copyOfRange(keys, at, Math.min(keys.length, at + chunk));
                RadixSelect into = at == 0 ? select : partialFor(select, partials, pick.nextInt(parts));
                into.countLow(part, part.length);
            }
            addAll(select, partials);
        }
        MagnitudeCut[] out = new MagnitudeCut[ranks.length];
        for (int r = 0; r < ranks.length; r++) {
            out[r] = select.cut(r);
        }
        return out;
    }

    /** Partial {@code p} of this pass (index 0 is the select itself), made when first used. */
    private static RadixSelect partialFor(RadixSelect select, RadixSelect[] partials, int p) {
        if (p == 0) {
            return select;
        }
        if (partials[p] == null) {
            partials[p] = select.partial();
        }
        return partials[p];
    }

    private static void addAll(RadixSelect select, RadixSelect[] partials) {
        for (int p = 1; p < partials.length; p++) {
            if (partials[p] != null) {
                select.add(partials[p]);
                partials[p] = null;
            }
        }
    }

    /** bf16-like magnitude keys (mostly zero low bits); {@code skew} scales the first chunk's values. */
    static int[] keys(Random r, int n, int chunk, double skew) {
        int[] k = new int[n];
        for (int j = 0; j < n; j++) {
            double v = r.nextGaussian() * 0.002 * (j < chunk ? skew : 1);
            int bits = Float.floatToRawIntBits((float) v);
            k[j] = (r.nextInt(12) == 0 ? bits : bits & 0xFFFF0000) & 0x7FFFFFFF;
        }
        return k;
    }

    @Property(tries = 60)
    void guessingNeverChangesTheCuts(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60000) int n,
                                     @ForAll @IntRange(min = 1, max = 9000) int chunk,
                                     @ForAll @IntRange(min = 0, max = 2) int skewChoice) {
        Random r = new Random(seed);
        double skew = new double[] {1, 30, 0.01}[skewChoice];
        int[] keys = keys(r, n, chunk, skew);
        long[] ranks = {r.nextInt(n + 1), (long) (0.01 * n), n, r.nextInt(3)};
        boolean[] low = new boolean[1];
        MagnitudeCut[] plain = cuts(keys, chunk, ranks, false, low);
        MagnitudeCut[] guessed = cuts(keys, chunk, ranks, true, low);
        assertArrayEquals(plain, guessed);
    }

    /**
     * The list of guessed keys overflowing into histograms (a small limit), and the passes' chunks shared
     * among partials at random, give exactly the one-select cuts, for 1, 2 or 4 guessed ranks.
     */
    @Property(tries = 80)
    void overflowAndPartialsNeverChangeTheCuts(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60000) int n,
                                               @ForAll @IntRange(min = 1, max = 9000) int chunk,
                                               @ForAll @IntRange(min = 0, max = 2) int skewChoice,
                                               @ForAll @IntRange(min = 1, max = 3) int rankCount,
                                               @ForAll @IntRange(min = 0, max = 3) int limitChoice,
                                               @ForAll @IntRange(min = 1, max = 5) int parts) {
        Random r = new Random(seed);
        double skew = new double[] {1, 30, 0.01}[skewChoice];
        int[] keys = keys(r, n, chunk, skew);
        long[] all = {r.nextInt(n + 1), (long) (0.01 * n), n, r.nextInt(3)};
        long[] ranks = Arrays.copyOf(all, rankCount == 3 ? 4 : rankCount);
        int maxKept = new int[] {1, 64, 5000, RadixSelect.MAX_KEPT}[limitChoice];
        boolean[] low = new boolean[1];
        boolean[] lowSplit = new boolean[1];
        MagnitudeCut[] plain = cuts(keys, chunk, ranks, false, low);
        for (boolean guess : new boolean[] {false, true}) {
            boolean[] lowOne = new boolean[1];
            cuts(keys, chunk, ranks, guess, lowOne);
            MagnitudeCut[] split = cuts(keys, chunk, ranks, guess, lowSplit, maxKept, parts, seed);
            assertArrayEquals(plain, split, "guess " + guess + ", " + parts + " parts, list limit " + maxKept);
            assertEquals(lowOne[0], lowSplit[0], "the same passes");
        }
    }

    @Test
    void aRepresentativeFirstChunkSavesTheLowPass() {
        int n = 1 << 20;
        int[] keys = keys(new Random(3), n, 32768, 1);
        boolean[] low = new boolean[1];
        long[] ranks = {(long) (0.91 * n), (long) (0.01 * n)};
        MagnitudeCut[] guessed = cuts(keys, 32768, ranks, true, low);
        assertFalse(low[0], "breadcrumbs-like ranks resolve from the guessed buckets");
        assertArrayEquals(cuts(keys, 32768, ranks, false, low), guessed);
    }

    /** Top-k and breadcrumbs above the guessing size: exactly the definition (ties by index). */
    @Test
    void largeTopKIsTheDefinition() {
        int n = (1 << 20) + 4321;
        Random r = new Random(11);
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            int bits = Float.floatToRawIntBits((float) (r.nextGaussian() * 0.002)) & 0xFFFF0000;
            x[j] = Float.intBitsToFloat(j < 40000 ? bits ^ 0x00800000 : bits);   // an unlike first chunk too
        }
        for (double[] window : new double[][] {{0, 0.5}, {0.01, 0.9}}) {
            double gamma = window[0];
            double density = window[1];
            long skip = Sparsifier.keepCount(gamma, n);
            long keep = Sparsifier.keepCount(density, n);
            long[] order = new long[n];   // by magnitude descending, then index ascending
            for (int j = 0; j < n; j++) {
                order[j] = (long) (0x7FFFFFFF - (Float.floatToRawIntBits(x[j]) & 0x7FFFFFFF)) << 32 | j;
            }
            Arrays.sort(order);
            float[] expected = new float[n];
            for (long q = skip; q < skip + keep; q++) {
                int j = (int) order[(int) q];
                expected[j] = x[j];
            }
            for (int chunk : new int[] {32768, 1000003}) {
                Sparsifier s = gamma == 0 ? Sparsifier.magnitude(n, density, null)
                        : Sparsifier.magnitudeOutliers(n, density, gamma, null);
                assertArrayEquals(expected, Sparsify.run(s, x, chunk), "gamma " + gamma + " chunk " + chunk);
            }
        }
    }
}
