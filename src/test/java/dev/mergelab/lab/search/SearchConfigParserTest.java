package dev.mergelab.lab.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.lab.search.SearchConfig.Algorithm;
import dev.mergelab.lab.search.SearchConfig.Bounds;
import dev.mergelab.lab.search.SearchConfig.LayerPathSpec;
import dev.mergelab.lab.search.SearchConfig.MergeGenomeSpec;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Search configurations: mergekit-evolve's schema with its defaults and validation, MergeLab's extensions, every error. */
class SearchConfigParserTest {

    /** A configuration as mergekit-evolve's documentation (docs/evolve.md) writes one. */
    @Test
    void readsMergekitEvolveSchemaWithItsDefaults() {
        SearchConfig c = SearchConfigParser.parse("""
                genome:
                    models:
                       - org/model_1
                       - org/model_2
                    merge_method: dare_ties
                    base_model: org/base
                    tokenizer_source: null
                    layer_granularity: 8
                    normalize: false
                    allow_negative_weights: false
                    smooth: false
                    filters:
                      - self_attn
                      - mlp
                tasks:
                  - name: my_task.yaml
                    weight: 1.0
                    metric: "acc,none"
                  - other_task.yaml
                limit: 100
                num_fewshot: 0
                shuffle: false
                random_init: false
                apply_chat_template: false
                fewshot_as_multiturn: false
                """, "evolve.yml");
        MergeGenomeSpec g = (MergeGenomeSpec) c.genome();
        assertEquals(List.of("org/model_1", "org/model_2"), g.models());
        assertEquals(List.of("dare_ties"), g.methods());
        assertEquals(Optional.of("org/base"), g.baseModel());
        assertEquals(Optional.empty(), g.tokenizerSource());
        assertEquals(8, g.layerGranularity());
        assertEquals(Optional.of(false), g.normalize());
        assertEquals(List.of("self_attn", "mlp"), g.filters());
        // METHOD_PARAM_MAPS["dare_ties"], without bounds
        assertEquals(List.of("weight", "density"), List.copyOf(g.parameters().keySet()));
        assertTrue(g.parameters().values().stream().allMatch(Optional::isEmpty));
        assertEquals(2, c.tasks().size());
        assertEquals(new SearchConfig.Objective("other_task.yaml", 1.0, "acc,none", Optional.empty(), 19), c.tasks().get(1));
        assertEquals(Optional.of(100), c.limit());
        assertEquals(Optional.of(0), c.numFewshot());
        // several tasks: NSGA-II; mergekit-evolve's defaults for sigma0 (1/6), seed (0) and --max-fevals (100)
        assertEquals(Algorithm.NSGA2, c.optimizer().algorithm());
        assertEquals(1.0 / 6, c.optimizer().sigma0());
        assertEquals(0, c.optimizer().seed());
        assertEquals(100, c.optimizer().maxEvals());
        assertEquals(Optional.empty(), c.optimizer().maxSeconds());
    }

    @Test
    void readsExtensions() {
        SearchConfig c = SearchConfigParser.parse("""
                genome:
                  models: [a, b]
                  merge_method: [ties, task_arithmetic]
                  base_model: base
                  parameters:
                    weight: {min: 0, max: 1.5}
                    density: [0.2, 1]
                    lambda: {min: 0.5, max: 2}
                tasks:
                  - name: ppl:held_out.txt
                    weight: -1
                    metric: bits_per_byte,none
                    data: data/held_out
                optimizer:
                  algorithm: cma-es
                  population_size: 6
                  sigma0: 0.3
                  seed: 7
                  max_evals: 40
                  max_time: 30m
                """, "s.yml");
        MergeGenomeSpec g = (MergeGenomeSpec) c.genome();
        assertEquals(List.of("ties", "task_arithmetic"), g.methods());
        assertEquals(Optional.of(new Bounds(0, 1.5)), g.parameters().get("weight"));
        assertEquals(Optional.of(new Bounds(0.2, 1)), g.parameters().get("density"));
        assertEquals(Optional.of(new Bounds(0.5, 2)), g.parameters().get("lambda"));
        assertEquals(Optional.of("data/held_out"), c.tasks().getFirst().data());
        assertEquals(-1, c.tasks().getFirst().weight());
        assertEquals(new SearchConfig.OptimizerSpec(Algorithm.CMA_ES, Optional.of(6), 0.3, 7, 40, Optional.of(1800.0)), c.optimizer());
        assertFalse(c.multiObjective());
    }

    @Test
    void readsLayerPathGenome() {
        SearchConfig c = SearchConfigParser.parse("""
                layer_path:
                  models: [a, b]
                  repeats: 2
                  threshold: 0.25
                tasks: [t.yaml]
                optimizer: {max_time: 90}
                """, "s.yml");
        assertEquals(new LayerPathSpec(List.of("a", "b"), 2, 0.25, Optional.empty()), c.genome());
        assertEquals(Algorithm.CMA_ES, c.optimizer().algorithm());
        assertEquals(Optional.of(90.0), c.optimizer().maxSeconds());
    }

    private static final String OK_GENOME = "genome:\n  models: [a, b]\n  merge_method: linear\n";

    /** Every error is one line starting with FILE:LINE. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown top key       | genome:\\n  models: [a]\\n  merge_method: linear\\ntasks: [t]\\nlimt: 3                  | s.yml:5: unknown key 'limt' in the search configuration (did you mean 'limit'?)
            unknown genome key    | genome:\\n  models: [a]\\n  merge_method: linear\\n  smoth: true\\ntasks: [t]           | s.yml:4: unknown key 'smoth' in genome (did you mean 'smooth'?)
            unknown task key      | GENOMEtasks:\\n  - name: t\\n    wieght: 2                                            | s.yml:6: unknown key 'wieght' in tasks[0] (did you mean 'weight'?)
            missing genome        | tasks: [t]                                                                            | s.yml:1: missing genome:
            both genomes          | GENOMElayer_path:\\n  models: [a]\\ntasks: [t]                                          | s.yml:4: use either genome: or layer_path:, not both
            missing tasks         | GENOME                                                                                | s.yml:1: missing tasks:
            empty tasks           | GENOMEtasks: []                                                                       | s.yml:4: tasks is an empty list
            task without name     | GENOMEtasks:\\n  - weight: 2                                                           | s.yml:5: tasks[0] has no name
            metric without filter | GENOMEtasks:\\n  - name: t\\n    metric: acc                                           | s.yml:6: tasks[0].metric 'acc' lacks its filter
            repeated task         | GENOMEtasks: [t, t]                                                                   | s.yml:4: tasks[1] repeats task t with metric acc,none
            weight not a number   | GENOMEtasks:\\n  - name: t\\n    weight: heavy                                         | s.yml:6: tasks[0].weight must be a number, got text 'heavy'
            no models             | genome:\\n  merge_method: linear\\ntasks: [t]                                          | s.yml:2: genome has no models
            repeated model        | genome:\\n  models: [a, a]\\n  merge_method: linear\\ntasks: [t]                        | s.yml:2: genome.models[1] repeats a
            no method             | genome:\\n  models: [a]\\ntasks: [t]                                                   | s.yml:2: genome has no merge_method
            unknown method        | genome:\\n  models: [a]\\n  merge_method: lineer\\ntasks: [t]                          | s.yml:3: unknown merge method 'lineer' in genome.merge_method (did you mean 'linear'?)
            method without map    | genome:\\n  models: [a]\\n  merge_method: nuslerp\\ntasks: [t]                         | s.yml:3: mergekit-evolve has no parameter map for nuslerp
            ties without base     | genome:\\n  models: [a]\\n  merge_method: ties\\ntasks: [t]                            | s.yml:3: genome.base_model is required for merge method ties
            slerp smooth          | genome:\\n  models: [a, b]\\n  merge_method: slerp\\n  smooth: true\\ntasks: [t]         | s.yml:4: smooth is not supported for slerp merge method
            slerp filters         | genome:\\n  models: [a, b]\\n  merge_method: slerp\\n  filters: [mlp]\\ntasks: [t]       | s.yml:4: tensor name filtering is not supported for slerp merge method
            normalize not taken   | genome:\\n  models: [a, b]\\n  merge_method: slerp\\n  normalize: true\\ntasks: [t]      | s.yml:4: genome.normalize is set, but slerp takes no normalize parameter
            slerp in a set        | genome:\\n  models: [a, b]\\n  merge_method: [slerp, linear]\\ntasks: [t]               | s.yml:3: slerp cannot be one of several methods: its genome picks two models per slice
            parameter not taken   | GENOME  parameters:\\n    density: [0, 1]\\ntasks: [t]                                | s.yml:5: merge method linear has no parameter 'density'
            parameter not numeric | GENOME  parameters:\\n    normalize: [0, 1]\\ntasks: [t]                              | s.yml:5: parameter 'normalize' of linear is not a number and cannot be searched
            bounds needed         | genome:\\n  models: [a]\\n  merge_method: task_arithmetic\\n  base_model: b\\n  parameters:\\n    lambda:\\ntasks: [t] | s.yml:6: genome.parameters.lambda needs bounds
            bounds reversed       | GENOME  parameters:\\n    weight: {min: 2, max: 1}\\ntasks: [t]                        | s.yml:5: genome.parameters.weight: min 2.0 must be below max 1.0
            bounds half           | GENOME  parameters:\\n    weight: {min: 2}\\ntasks: [t]                                | s.yml:5: genome.parameters.weight needs both min and max
            smooth not boolean    | GENOME  smooth: sometimes\\ntasks: [t]                                                 | s.yml:4: smooth must be true or false, got text 'sometimes'
            granularity float     | GENOME  layer_granularity: 2.5\\ntasks: [t]                                            | s.yml:4: genome.layer_granularity must be an integer, got the number 2.5
            limit zero            | GENOMEtasks: [t]\\nlimit: 0                                                            | s.yml:5: limit must be at least 1, got 0
            chat template         | GENOMEtasks: [t]\\napply_chat_template: true                                           | s.yml:5: apply_chat_template: true is not supported: MergeLab's eval scores log-likelihoods without a chat template
            shuffle               | GENOMEtasks: [t]\\nshuffle: true                                                       | s.yml:5: shuffle: true is not supported: a search scores every candidate on the same first documents of each task
            multiturn             | GENOMEtasks: [t]\\nfewshot_as_multiturn: true                                          | s.yml:5: fewshot_as_multiturn: true is not supported: it needs apply_chat_template, which MergeLab's eval does not apply
            unknown algorithm     | GENOMEtasks: [t]\\noptimizer:\\n  algorithm: pso                                      | s.yml:6: unknown optimizer.algorithm 'pso'
            optimizer key         | GENOMEtasks: [t]\\noptimizer:\\n  popsize: 4                                          | s.yml:6: unknown key 'popsize' in optimizer
            population one        | GENOMEtasks: [t]\\noptimizer:\\n  population_size: 1                                  | s.yml:6: optimizer.population_size must be between 2 and 10000, got 1
            sigma zero            | GENOMEtasks: [t]\\noptimizer:\\n  sigma0: 0                                           | s.yml:6: optimizer.sigma0 must be above 0, got 0.0
            max_evals zero        | GENOMEtasks: [t]\\noptimizer:\\n  max_evals: 0                                        | s.yml:6: optimizer.max_evals must be at least 1, got 0
            bad duration          | GENOMEtasks: [t]\\noptimizer:\\n  max_time: soon                                      | s.yml:6: optimizer.max_time 'soon' is not a duration
            repeats zero          | layer_path:\\n  models: [a]\\n  repeats: 0\\ntasks: [t]                                  | s.yml:3: layer_path.repeats must be between 1 and 64, got 0
            layer_path key        | layer_path:\\n  models: [a]\\n  repeat: 2\\ntasks: [t]                                   | s.yml:3: unknown key 'repeat' in layer_path (did you mean 'repeats'?)
            syntax                | genome: [a\\ntasks: [t]                                                               | s.yml:2: YAML syntax error
            tag                   | genome: !!python/object:os.system x\\ntasks: [t]                                      | s.yml:1: YAML syntax error
            not a mapping         | - a                                                                                   | s.yml:1: the search configuration must be a mapping of key: value, got a list
            empty                 | ''                                                                                    | s.yml:1: the search configuration is empty
            """)
    void refusesBadInputWithFileAndLine(String name, String yaml, String message) {
        String text = yaml.equals("''") ? "" : yaml.replace("\\n", "\n").replace("GENOME", OK_GENOME);
        MergeLabException e = assertThrows(MergeLabException.class, () -> SearchConfigParser.parse(text, "s.yml"), name);
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().startsWith(message), name + ": " + e.getMessage());
        assertFalse(e.oneLine().contains("\n"), name);
    }

    @Test
    void missingFileIsOneLine() {
        MergeLabException e = assertThrows(MergeLabException.class, () -> SearchConfigParser.parse(java.nio.file.Path.of("no/such.yml")));
        assertEquals("no/such.yml: search configuration not found", e.getMessage());
    }
}
