package dev.mergelab.lab.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The layer-path genome: an indicator per position of the repeated layer sequence, decoded to passthrough slices. */
class LayerPathGenomeTest {

    private final LayerPathGenome genome = new LayerPathGenome(
            new SearchConfig.LayerPathSpec(List.of("a", "b"), 2, 0.0, Optional.empty()), List.of(3, 2));

    @Test
    void keptPositionsBecomeRunsOfLayers() {
        // sequence per repeat: a0 a1 a2 b0 b1; two repeats = 10 positions
        assertEquals(10, genome.dimension());
        double[] x = {1, 1, -1, 0.5, 0.5, -1, 2, 0.1, 0, 3};
        // kept: a0 a1 | b0 b1 | a1 a2 | b1  (0.0 is not above the threshold)
        assertEquals("""
                merge_method: passthrough
                slices:
                - sources:
                  - model: a
                    layer_range: [0, 2]
                - sources:
                  - model: b
                    layer_range: [0, 2]
                - sources:
                  - model: a
                    layer_range: [1, 3]
                - sources:
                  - model: b
                    layer_range: [1, 2]
                dtype: bfloat16
                """, genome.decode(x).toYaml());
    }

    @Test
    void startsAsTheFirstModelAndNeverDecodesToNothing() {
        assertEquals("""
                merge_method: passthrough
                slices:
                - sources:
                  - model: a
                    layer_range: [0, 3]
                dtype: bfloat16
                """, genome.decode(genome.initial(false, 0)).toYaml());
        double[] none = {-1, -1, -1, -0.2, -1, -1, -1, -1, -1, -1};
        assertEquals("[1, 0]", java.util.Arrays.toString(genome.path(none).getFirst()));
        assertEquals(1, genome.path(none).size());
        assertArrayEquals(new double[10], java.util.Arrays.stream(genome.lower()).map(v -> v + 1).toArray());
    }

    @Test
    void aRunBreaksAtARepeatOfTheSameModel() {
        LayerPathGenome one = new LayerPathGenome(new SearchConfig.LayerPathSpec(List.of("a"), 2, 0.0, Optional.empty()), List.of(2));
        // a0 a1 then a0 a1 again: two slices, not one range [0, 4)
        assertEquals(2, ((dev.mergelab.recipe.ModelsOrSlices.Slices) one.decode(new double[] {1, 1, 1, 1}).inputs().orElseThrow()).slices().size());
    }
}
