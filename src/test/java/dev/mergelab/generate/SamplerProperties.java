package dev.mergelab.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** The sampling chain's promises, on random logits. */
class SamplerProperties {

    @Provide
    Arbitrary<float[]> logits() {
        return Arbitraries.floats().between(-12, 12).array(float[].class).ofMinSize(2).ofMaxSize(60);
    }

    private static Sampling sampling(double temperature, int topK, double topP, double minP, long seed) {
        return new Sampling(true, temperature, topK, topP, minP, 1, seed);
    }

    @Property(tries = 300)
    void topKNeverPicksOutsideTheKBest(@ForAll("logits") float[] logits, @ForAll @IntRange(min = 1, max = 10) int k,
            @ForAll long seed) {
        Sampler s = new Sampler(sampling(1, k, 1, 0, seed));
        for (int draw = 0; draw < 5; draw++) {
            int id = s.next(logits.clone(), new int[0], 0);
            long better = 0;
            for (float v : logits) {
                better += v > logits[id] ? 1 : 0;
            }
            assertTrue(better < k, "picked a token with " + better + " better ones at k=" + k);
        }
    }

    @Property(tries = 300)
    void topPKeepsTheMostLikelyTokensHoldingAtLeastP(@ForAll("logits") float[] logits,
            @ForAll @DoubleRange(min = 0.01, max = 0.99) double p) {
        double[] probs = Sampler.softmax(logits);
        float[] kept = logits.clone();
        Sampler.topP(kept, p);
        double mass = 0;
        float lowestKept = Float.POSITIVE_INFINITY;
        float highestDropped = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < kept.length; i++) {
            if (kept[i] != Float.NEGATIVE_INFINITY) {
                mass += probs[i];
                lowestKept = Math.min(lowestKept, logits[i]);
            } else {
                highestDropped = Math.max(highestDropped, logits[i]);
            }
        }
        assertTrue(mass >= p - 1e-9, "kept mass " + mass + " < p " + p);
        assertTrue(highestDropped <= lowestKept, "a dropped token is more likely than a kept one");
        assertTrue(lowestKept != Float.POSITIVE_INFINITY && Arrays.stream(box(kept)).anyMatch(v -> v == logits[Sampler.argmax(logits)]),
                "a most likely token is always kept");
        // minimal: dropping the least likely kept token would fall below p (unless it ties a more likely one)
        long keptCount = Arrays.stream(box(kept)).filter(v -> v != Float.NEGATIVE_INFINITY).count();
        if (keptCount > 1) {
            double least = Double.POSITIVE_INFINITY;
            for (int i = 0; i < kept.length; i++) {
                if (kept[i] != Float.NEGATIVE_INFINITY) {
                    least = Math.min(least, probs[i]);
                }
            }
            assertTrue(mass - least < p + 1e-9, "top-p kept more than it needs");
        }
    }

    @Property(tries = 300)
    void minPDropsExactlyTheTokensBelowItsShareOfTheTop(@ForAll("logits") float[] logits,
            @ForAll @DoubleRange(min = 0.0, max = 1.0) double minP) {
        double[] probs = Sampler.softmax(logits);
        double top = Arrays.stream(probs).max().orElseThrow();
        float[] kept = logits.clone();
        Sampler.minP(kept, minP);
        for (int i = 0; i < kept.length; i++) {
            boolean isKept = kept[i] != Float.NEGATIVE_INFINITY;
            if (i == Sampler.argmax(logits)) {
                assertTrue(isKept);
            } else {
                assertEquals(probs[i] >= minP * top, isKept, "token " + i);
            }
        }
    }

    @Property(tries = 100)
    void theSameSeedDrawsTheSameTokens(@ForAll("logits") float[] logits, @ForAll long seed) {
        Sampler a = new Sampler(sampling(0.9, 0, 0.95, 0.01, seed));
        Sampler b = new Sampler(sampling(0.9, 0, 0.95, 0.01, seed));
        for (int i = 0; i < 10; i++) {
            assertEquals(a.next(logits.clone(), new int[0], 0), b.next(logits.clone(), new int[0], 0));
        }
    }

    @Property(tries = 200)
    void aTemperatureNearZeroIsGreedy(@ForAll("logits") float[] logits, @ForAll long seed) {
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        if (sorted[sorted.length - 1] - sorted[sorted.length - 2] < 1e-3f) {
            return;   // a tie at the top has no single greedy answer
        }
        int id = new Sampler(sampling(1e-6, 0, 1, 0, seed)).next(logits.clone(), new int[0], 0);
        assertEquals(Sampler.argmax(logits), id);
    }

    @Property(tries = 100)
    void drawsFollowTheDistribution(@ForAll @IntRange(min = 0, max = 1000) int seed) {
        float[] logits = {0, (float) Math.log(3)};   // probabilities 1/4 and 3/4
        Sampler s = new Sampler(sampling(1, 0, 1, 0, seed));
        int ones = 0;
        for (int i = 0; i < 4000; i++) {
            ones += s.next(logits.clone(), new int[0], 0);
        }
        assertTrue(Math.abs(ones / 4000.0 - 0.75) < 0.04, "share of the likelier token " + ones / 4000.0);
    }

    @Example
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerToken() {
        float[] logits = {2f, -2f, 1f, 0.5f};
        Sampler.repetitionPenalty(logits, new int[] {0, 1, 0, 1, 3, 9}, 5, 2f);
        assertEquals(1f, logits[0]);
        assertEquals(-4f, logits[1]);
        assertEquals(1f, logits[2]);
        assertEquals(0.25f, logits[3]);
        // greedy applies it too: the penalised favourite loses to the next token
        int id = new Sampler(new Sampling(false, 1, 0, 1, 0, 3, 0)).next(new float[] {2f, 1f}, new int[] {0}, 1);
        assertEquals(1, id);
    }

    private static Float[] box(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
