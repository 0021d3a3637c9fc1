package dev.mergelab.lab.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;

/**
 * Genotypes decode to the recipes mergekit-evolve's {@code ModelGenome.genotype_merge_config} writes for the same
 * vector (mergekit/evo/genome.py). Each case states the correspondence: the vector is read as
 * {@code genotype.view(n_layer_groups, n_models, n_param_sets, -1)}, so gene index = ((group x models + model) x sets
 * + set) x params + param; differences in form only are noted (mergekit writes {@code filter: null} on the catch-all
 * entry and {@code layer_range} on smooth models, which its own {@code InputModelDefinition} drops).
 */
class MergeGenomeTest {

    private static MergeGenome genome(String genomeYaml, int layers) {
        SearchConfig c = SearchConfigParser.parse("genome:\n" + genomeYaml.indent(2) + "tasks: [t]\n", "s.yml");
        return new MergeGenome((SearchConfig.MergeGenomeSpec) c.genome(), layers, "s.yml");
    }

    private static double[] ramp(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i - 5) * 0.25;
        }
        return x;
    }

    /**
     * ties, 8 layers, granularity 4, one filter: genotype [2 groups][2 models][2 sets][weight, density]. mergekit:
     * density = |x|.clamp(0, 1), weight = |x| (allow_negative_weights false); per slice the models' sources with
     * layer_range [4g, 4g+4] and per parameter a list of {filter, value} for [self_attn, None]; the base appended
     * (not among the models) without parameters; normalize defaults to true for ties; int8_mask true; bfloat16.
     */
    @Test
    void discreteSlicesWithFiltersAsMergekit() {
        MergeGenome g = genome("models: [a, b]\nmerge_method: ties\nbase_model: base\nlayer_granularity: 4\nfilters: [self_attn]", 8);
        assertEquals(16, g.dimension());
        // x = -1.25, -1.0, -0.75, ..., 2.5: e.g. gene 0 (group 0, a, self_attn, weight) = -1.25 -> 1.25; gene 11
        // (group 1, a, catch-all, density) = 1.5 -> 1.0; gene 5 (group 0, b, self_attn, density) = 0.0
        assertEquals("""
                merge_method: ties
                base_model: base
                slices:
                - sources:
                  - model: a
                    layer_range: [0, 4]
                    parameters:
                      weight:
                      - filter: self_attn
                        value: 1.25
                      - value: 0.75
                      density:
                      - filter: self_attn
                        value: 1.0
                      - value: 0.5
                  - model: b
                    layer_range: [0, 4]
                    parameters:
                      weight:
                      - filter: self_attn
                        value: 0.25
                      - value: 0.25
                      density:
                      - filter: self_attn
                        value: 0.0
                      - value: 0.5
                  - model: base
                    layer_range: [0, 4]
                - sources:
                  - model: a
                    layer_range: [4, 8]
                    parameters:
                      weight:
                      - filter: self_attn
                        value: 0.75
                      - value: 1.25
                      density:
                      - filter: self_attn
                        value: 1.0
                      - value: 1.0
                  - model: b
                    layer_range: [4, 8]
                    parameters:
                      weight:
                      - filter: self_attn
                        value: 1.75
                      - value: 2.25
                      density:
                      - filter: self_attn
                        value: 1.0
                      - value: 1.0
                  - model: base
                    layer_range: [4, 8]
                parameters:
                  normalize: true
                  int8_mask: true
                dtype: bfloat16
                """, g.decode(ramp(16)).toYaml());
    }

    /**
     * smooth: mergekit's {@code _smooth_config_models} writes each model once with each parameter as the list over
     * layer groups (a gradient); allow_negative_weights keeps the sign of weights; normalize: false as configured;
     * linear has no int8_mask parameter in MergeLab, so it is not written (mergekit writes it and linear ignores it);
     * the base is among the models, so it is not appended.
     */
    @Test
    void smoothGradientsAsMergekit() {
        MergeGenome g = genome("models: [a, base]\nmerge_method: linear\nbase_model: base\nlayer_granularity: 2\n"
                + "smooth: true\nnormalize: false\nallow_negative_weights: true", 6);
        assertEquals(6, g.dimension()); // [3 groups][2 models][1 set][weight]
        assertEquals("""
                merge_method: linear
                base_model: base
                models:
                - model: a
                  parameters:
                    weight: [-1.25, -0.25, 0.75]
                - model: base
                  parameters:
                    weight: [-0.75, 0.25, 1.25]
                parameters:
                  normalize: false
                dtype: bfloat16
                """, g.decode(new double[] {-1.25, -0.75, -0.25, 0.25, 0.75, 1.25}).toYaml());
    }

    /** mergekit's initial genotype: weight (first parameter) 1/n_models, every other parameter 1; one group when granularity is unset. */
    @Test
    void initialGenotypeAsMergekit() {
        MergeGenome g = genome("models: [a, b, c]\nmerge_method: dare_ties\nbase_model: base", 12);
        assertArrayEquals(new double[] {1.0 / 3, 1, 1.0 / 3, 1, 1.0 / 3, 1}, g.initial(false, 0));
        double[] random = g.initial(true, 5);
        assertArrayEquals(random, g.initial(true, 5));
        for (double v : random) {
            assertEquals(0.5, v, 0.5); // torch.rand: uniform in [0, 1)
        }
        // one group over all 12 layers, smooth with a single group writes scalars (_unpack_single_element)
        assertEquals("""
                merge_method: dare_ties
                base_model: base
                slices:
                - sources:
                  - model: a
                    layer_range: [0, 12]
                    parameters:
                      weight: 0.3333333333333333
                      density: 1.0
                  - model: b
                    layer_range: [0, 12]
                    parameters:
                      weight: 0.3333333333333333
                      density: 1.0
                  - model: c
                    layer_range: [0, 12]
                    parameters:
                      weight: 0.3333333333333333
                      density: 1.0
                  - model: base
                    layer_range: [0, 12]
                parameters:
                  normalize: true
                  int8_mask: true
                dtype: bfloat16
                """, g.decode(g.initial(false, 0)).toYaml());
    }

    /**
     * slerp, as mergekit's {@code _slerp_slices}: per group the two models with the highest gene (topk), t = the
     * second entry of softmax of those two genes, the first chosen model as the slice's base_model, the global
     * base_model appended as a third source. Group 0: genes [0.1, 0.9, 0.5] pick b then c, t = e^0.5 / (e^0.9 +
     * e^0.5); group 1: [2, -1, 0] picks a then c. Slerp takes no normalize in MergeLab (mergekit writes false).
     */
    @Test
    void slerpPicksTwoModelsPerGroupAsMergekit() {
        MergeGenome g = genome("models: [a, b, c]\nmerge_method: slerp\nbase_model: base\nlayer_granularity: 2", 4);
        double t0 = Math.exp(0.5) / (Math.exp(0.9) + Math.exp(0.5));
        double t1 = Math.exp(0.0) / (Math.exp(2) + Math.exp(0));
        assertEquals("merge_method: slerp\nbase_model: base\nslices:\n"
                + "- sources:\n  - model: b\n    layer_range: [0, 2]\n  - model: c\n    layer_range: [0, 2]\n"
                + "  - model: base\n    layer_range: [0, 2]\n  base_model: b\n  parameters:\n    t: " + t0 + "\n"
                + "- sources:\n  - model: a\n    layer_range: [2, 4]\n  - model: c\n    layer_range: [2, 4]\n"
                + "  - model: base\n    layer_range: [2, 4]\n  base_model: a\n  parameters:\n    t: " + t1 + "\n"
                + "dtype: bfloat16\n", g.decode(new double[] {0.1, 0.9, 0.5, 2, -1, 0}).toYaml());
        assertEquals(0.5, t0, 0.5);
    }

    /**
     * Extensions: a method set (the last genes score each method, the highest wins), searched parameters with
     * bounds (clamped after mergekit's transforms), and a global parameter (lambda: one gene per group, written on
     * the slice). Layout [1 group][2 models][1 set][weight, density] + [1 group][1 set][lambda] + [ties, task_arithmetic].
     */
    @Test
    void methodSetBoundsAndGlobalParameters() {
        MergeGenome g = genome("models: [a, b]\nmerge_method: [ties, task_arithmetic]\nbase_model: base\n"
                + "parameters:\n  weight: {min: 0, max: 1}\n  density: [0.25, 0.75]\n  lambda: [0.5, 1.5]", 4);
        assertEquals(4 + 1 + 2, g.dimension());
        double[] x = {-2, 0.1, 0.5, 0.9, 3, 0.2, 0.1};
        assertEquals("""
                merge_method: ties
                base_model: base
                slices:
                - sources:
                  - model: a
                    layer_range: [0, 4]
                    parameters:
                      weight: 1.0
                      density: 0.25
                  - model: b
                    layer_range: [0, 4]
                    parameters:
                      weight: 0.5
                      density: 0.75
                  - model: base
                    layer_range: [0, 4]
                  parameters:
                    lambda: 1.5
                parameters:
                  normalize: true
                  int8_mask: true
                dtype: bfloat16
                """, g.decode(x).toYaml());
        x[6] = 0.3; // task_arithmetic scores higher; it takes every parameter searched here, and no normalize
        String yaml = g.decode(x).toYaml();
        assertEquals(true, yaml.startsWith("merge_method: task_arithmetic\n"), yaml);
        assertEquals(true, yaml.contains("lambda: 1.5") && yaml.contains("density: 0.75"), yaml);
        assertArrayEquals(new double[] {0, 0.25, 0, 0.25, 0.5, 0, 0}, g.lower());
        assertArrayEquals(new double[] {1, 0.75, 1, 0.75, 1.5, 1, 1}, g.upper());
    }

    @Test
    void layerCountMustBeAMultipleOfTheGranularity() {
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> genome("models: [a]\nmerge_method: linear\nlayer_granularity: 3", 8));
        assertEquals("s.yml: the models have 8 layers, which is not a multiple of genome.layer_granularity 3", e.getMessage());
    }
}
