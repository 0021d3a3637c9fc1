package dev.mergelab.method;

import dev.mergelab.method.kernel.SignConsensus;
import dev.mergelab.method.kernel.Sparsify;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The hand-derived examples of METHODS.md, through the public methods. */
class WorkedExamplesTest {

    // METHODS.md §3 worked example: density 0.5 keeps k = 3 of 6.
    private static final float[] T1 = {.9f, -.1f, .4f, -.7f, .2f, .05f};
    private static final float[] T2 = {-.8f, .3f, .6f, .1f, -.5f, .02f};
    private static final float[] T3 = {.2f, -.6f, -.3f, .8f, .35f, -.01f};
    private static final float[] ZERO = new float[6];
    private static final List<float[]> TAUS = List.of(T1, T2, T3);

    private static List<Map<String, ?>> wd(double density, double... w) {
        List<Map<String, ?>> out = new ArrayList<>();
        for (double x : w) {
            out.add(Map.of("weight", x, "density", density));
        }
        return out;
    }

    @Test
    void peftTiesTotal() {
        Map<String, Object> g = Map.of("density", 0.5, "majority_sign_method", "total");
        assertArrayEquals(new float[]{.9f, -.6f, .5f, .8f, -.5f, 0}, Jobs.merge("peft_ties", ZERO, TAUS, g, Jobs.weights(1, 1, 1)), 1e-6f);
        assertArrayEquals(new float[]{.9f, -1.2f, .35f, 1.6f, -.25f, 0}, Jobs.merge("peft_ties", ZERO, TAUS, g, Jobs.weights(1, .5, 2)), 1e-6f);
    }

    @Test
    void mergekitTiesSum() {
        assertArrayEquals(new float[]{.9f, -.6f, .5f, .8f, -.5f, 0}, Jobs.merge("ties", ZERO, TAUS, Map.of(), wd(.5, 1, 1, 1)), 1e-6f);
        assertArrayEquals(new float[]{.9f, -.6f, .46666667f, .8f, .35f, 0}, Jobs.merge("ties", ZERO, TAUS, Map.of(), wd(.5, 1, .5, 2)), 1e-6f);
    }

    @Test
    void frequencyAndCountVotes() {
        Map<String, Object> g = Map.of("density", 0.5, "majority_sign_method", "frequency");
        float[] expected = {.9f, -.6f, .5f, .8f, .35f, 0};
        assertArrayEquals(expected, Jobs.merge("peft_ties", ZERO, TAUS, g, Jobs.weights(1, 1, 1)), 1e-6f);

        // mergekit's "count" consensus is the same vote; with unit weights the disjoint mean matches.
        float[][] pruned = {Sparsify.magnitude(T1, .5, null), Sparsify.magnitude(T2, .5, null), Sparsify.magnitude(T3, .5, null)};
        float[][] masks = SignConsensus.masks(pruned, SignConsensus.Vote.COUNT);
        float[] merged = new float[6];
        for (int j = 0; j < 6; j++) {
            float sum = 0;
            float n = 0;
            for (int i = 0; i < 3; i++) {
                sum += masks[i][j] * pruned[i][j];
                n += masks[i][j];
            }
            merged[j] = n == 0 ? 0 : sum / n;
        }
        assertArrayEquals(expected, merged, 1e-6f);
    }

    @Test
    void intCutoffIsTheTruncatedDoubleProduct() {
        org.junit.jupiter.api.Assertions.assertEquals(2150, Sparsify.keepCount(0.7, 3072));
        org.junit.jupiter.api.Assertions.assertEquals(210, Sparsify.keepCount(0.7, 300));
    }
}
