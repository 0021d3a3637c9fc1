package dev.mergelab.method.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A sparsifier's statistics passes shared out as the engine shares them (the first chunk on the
 * sparsifier itself, the others at random among {@link Sparsifier#observer}s absorbed at the end of
 * the pass) sparsify exactly as the one-thread passes do: top-k and breadcrumbs, below and above the
 * size where the cut buckets are guessed, with a first chunk unlike the rest, with and without rescale.
 */
class SparsifierSplitTest {

    /** Runs the passes with chunks after the first shared among {@code parts} observers; then applies in order. */
    static float[] runSplit(Sparsifier s, float[] x, int chunk, int parts, long seed) {
        Random pick = new Random(seed);
        for (int pass = 0; pass < s.passes(); pass++) {
            List<Sparsifier> observers = new ArrayList<>();
            for (int at = 0; at < x.length; at += chunk) {
                int n = Math.min(chunk, x.length - at);
                float[] part = Arrays.copyOfRange(x, at, at + n);
                Sparsifier into = s;
                if (at > 0 && observers.isEmpty()) {
                    for (int p = 0; p < parts; p++) {
                        Sparsifier o = s.observer(pass);
                        if (o == null) {
                            break;
                        }
                        observers.add(o);
                    }
                }
                if (at > 0 && !observers.isEmpty()) {
                    int p = pick.nextInt(observers.size() + 1);
                    into = p == 0 ? s : observers.get(p - 1);
                }
                into.observe(pass, at, part, n);
            }
            for (Sparsifier o : observers) {
                s.absorb(pass, o);
            }
            s.endPass(pass);
        }
        // Apply backwards, through appliers when the sparsifier hands them out (every third chunk its own).
        float[] out = x.clone();
        float[] buf = new float[chunk];
        int chunks = (x.length + chunk - 1) / chunk;
        Sparsifier applier = s.applier();
        if (applier == null) {
            return applyInOrder(s, x, chunk);
        }
        for (int c = chunks - 1; c >= 0; c--) {
            int at = c * chunk;
            int n = Math.min(chunk, x.length - at);
            System.arraycopy(x, at, buf, 0, n);
            (c % 3 == 0 ? s.applier() : applier).apply(at, buf, n);
            System.arraycopy(buf, 0, out, at, n);
        }
        return out;
    }

    private static float[] applyInOrder(Sparsifier s, float[] x, int chunk) {
        float[] out = x.clone();
        float[] buf = new float[chunk];
        for (int at = 0; at < x.length; at += chunk) {
            int n = Math.min(chunk, x.length - at);
            System.arraycopy(x, at, buf, 0, n);
            s.apply(at, buf, n);
            System.arraycopy(buf, 0, out, at, n);
        }
        return out;
    }

    /** bf16-like values (many equal magnitudes), the first {@code unlike} scaled up so a guess from them misses. */
    static float[] values(int n, int unlike, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            int bits = Float.floatToRawIntBits((float) (r.nextGaussian() * 0.002)) & (r.nextInt(5) == 0 ? -1 : 0xFFFF0000);
            x[j] = Float.intBitsToFloat(j < unlike ? bits + 0x00800000 : bits);
        }
        return x;
    }

    @Test
    void splitPassesSparsifyExactlyAsOneThread() {
        for (int n : new int[] {50_000, (1 << 20) + 777}) {
            for (int unlike : new int[] {0, 40_000}) {
                float[] x = values(n, unlike, n + unlike);
                for (Norm rescale : new Norm[] {null, Norm.L1}) {
                    for (int parts : new int[] {1, 3}) {
                        float[] topK = Sparsify.run(Sparsifier.magnitude(n, 0.4, rescale), x, 32768);
                        assertArrayEquals(topK, runSplit(Sparsifier.magnitude(n, 0.4, rescale), x, 32768, parts, 5),
                                "top-k n=" + n + " unlike=" + unlike + " rescale=" + rescale + " parts=" + parts);
                        float[] crumbs = Sparsify.run(Sparsifier.magnitudeOutliers(n, 0.5, 0.02, rescale), x, 32768);
                        assertArrayEquals(crumbs, runSplit(Sparsifier.magnitudeOutliers(n, 0.5, 0.02, rescale), x, 32768, parts, 6),
                                "breadcrumbs n=" + n + " unlike=" + unlike + " rescale=" + rescale + " parts=" + parts);
                    }
                }
            }
        }
    }

    /** dare's and della's rescale pass and masks: chunks of whole words of the mask share out, others stay in order. */
    @Test
    void randomMasksSplitExactlyAsOneThread() {
        int rows = 300;
        int rowLength = 192;
        long[] shape = {rows, rowLength};
        int n = rows * rowLength;
        float[] x = values(n, 0, 9);
        for (int chunk : new int[] {rowLength * 4, rowLength * 3, 300}) {
            for (Norm rescale : new Norm[] {null, Norm.L1, Norm.L2}) {
                for (int parts : new int[] {1, 4}) {
                    String what = "chunk " + chunk + " rescale " + rescale + " parts " + parts;
                    assertArrayEquals(Sparsify.run(Sparsifier.bernoulli(n, 77, 0.3, rescale), x, chunk),
                            runSplit(Sparsifier.bernoulli(n, 77, 0.3, rescale), x, chunk, parts, 2), "dare " + what);
                    if (chunk % rowLength == 0) {   // della's lanes are rows: chunks hold whole rows
                        assertArrayEquals(Sparsify.run(Sparsifier.della(shape, 78, 0.4, 0.1, rescale), x, chunk),
                                runSplit(Sparsifier.della(shape, 78, 0.4, 0.1, rescale), x, chunk, parts, 3), "della " + what);
                    }
                }
            }
        }
        Sparsifier odd = Sparsifier.bernoulli(n, 77, 0.3, Norm.L1);
        odd.observe(0, 0, Arrays.copyOf(x, 100), 100);
        assertNull(odd.observer(0), "chunks of 100 positions would share words of the remembered mask");
    }

    /**
     * bf16 task vectors tie at the cut key, and the quota keeps only some of the tied elements: when the
     * cut comes from the guessed buckets the appliers still split the pass, each chunk starting from the
     * ties before it, and the result is the definition's (by magnitude, ties by index).
     */
    @Test
    void aPartialTieStillAppliesInAnyOrder() {
        int n = (1 << 20) + 777;
        float[] x = values(n, 0, 4);
        for (int i = 0; i < n; i++) {
            x[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & 0xFFFF0000);   // all bf16: many ties
        }
        Sparsifier s = Sparsifier.magnitude(n, 0.4, null);
        float[] split = runSplit(s, x, 32768, 3, 8);
        assertNotNull(s.applier(), "a partial tie with known ties before each chunk");
        long keep = Sparsifier.keepCount(0.4, n);
        long[] order = new long[n];   // by magnitude descending, then index ascending
        for (int j = 0; j < n; j++) {
            order[j] = (long) (0x7FFFFFFF - (Float.floatToRawIntBits(x[j]) & 0x7FFFFFFF)) << 32 | j;
        }
        Arrays.sort(order);
        float[] expected = new float[n];
        for (int q = 0; q < keep; q++) {
            int j = (int) order[q];
            expected[j] = x[j];
        }
        int cutKey = (int) (0x7FFFFFFF - (order[(int) keep - 1] >>> 32));
        long tied = Arrays.stream(order).filter(o -> (int) (0x7FFFFFFF - (o >>> 32)) == cutKey).count();
        long kept = Arrays.stream(order, 0, (int) keep).filter(o -> (int) (0x7FFFFFFF - (o >>> 32)) == cutKey).count();
        assertTrue(kept > 0 && kept < tied, "a partial tie: " + kept + " of " + tied);
        assertArrayEquals(expected, split);
    }

    @Test
    void theSelectionPassesHandOutObservers() {
        int n = (1 << 20) + 777;
        float[] x = values(n, 0, 1);
        Sparsifier s = Sparsifier.magnitude(n, 0.4, null);
        s.observe(0, 0, Arrays.copyOf(x, 32768), 32768);
        assertNotNull(s.observer(0), "pass 0 shares out");
    }
}
