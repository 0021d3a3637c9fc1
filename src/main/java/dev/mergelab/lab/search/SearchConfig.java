package dev.mergelab.lab.search;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * A parsed search configuration: mergekit-evolve's {@code EvolMergeConfiguration} (genome, tasks, limit,
 * num_fewshot, shuffle, random_init, apply_chat_template, fewshot_as_multiturn) plus MergeLab's extensions: a set of
 * methods, searched parameters with bounds, the layer-path genome, task data and the optimiser settings.
 *
 * @param source    the file name errors and the search id use
 * @param genome    what a genotype decodes to
 * @param tasks     the objectives, in the order their values are recorded
 * @param limit     documents per task (lm-eval's {@code limit}); empty means all
 * @param numFewshot few-shot examples per document; empty means each task's default
 * @param randomInit start from a uniform random genotype instead of mergekit's equal weights
 */
public record SearchConfig(String source, GenomeSpec genome, List<Objective> tasks, Optional<Integer> limit,
                           Optional<Integer> numFewshot, boolean randomInit, OptimizerSpec optimizer) {

    public SearchConfig {
        Objects.requireNonNull(source);
        Objects.requireNonNull(genome);
        tasks = List.copyOf(tasks);
        Objects.requireNonNull(limit);
        Objects.requireNonNull(numFewshot);
        Objects.requireNonNull(optimizer);
    }

    /** Several tasks without an explicit single-objective optimiser make a multi-objective (Pareto) search. */
    public boolean multiObjective() {
        return optimizer.algorithm() == Algorithm.NSGA2;
    }

    /** One task of the fitness: mergekit's {@code TaskConfiguration} plus where its data is. */
    public record Objective(String name, double weight, String metric, Optional<String> data, int line) {
        public Objective {
            Objects.requireNonNull(name);
            Objects.requireNonNull(metric);
            Objects.requireNonNull(data);
        }
    }

    /** What the optimiser searches. */
    public sealed interface GenomeSpec permits MergeGenomeSpec, LayerPathSpec {
        List<String> models();

        Optional<String> tokenizerSource();
    }

    /** Inclusive bounds of a searched parameter. */
    public record Bounds(double min, double max) {
        public Bounds {
            if (!(min <= max)) {
                throw new IllegalArgumentException("min above max");
            }
        }

        double clamp(double v) {
            return Math.max(min, Math.min(max, v));
        }
    }

    /**
     * mergekit-evolve's {@code ModelGenomeDefinition}, with {@code methods} (one, or a set the genome chooses
     * from) and {@code parameters} (the searched parameters in genotype order, each with optional bounds; when the
     * YAML has no {@code parameters:} these are mergekit's {@code METHOD_PARAM_MAPS} entries without bounds).
     */
    public record MergeGenomeSpec(List<String> models, List<String> methods, Optional<String> baseModel,
                                  Optional<String> tokenizerSource, int layerGranularity, Optional<Boolean> normalize,
                                  boolean allowNegativeWeights, List<String> filters, boolean smooth,
                                  SequencedMap<String, Optional<Bounds>> parameters) implements GenomeSpec {
        public MergeGenomeSpec {
            models = List.copyOf(models);
            methods = List.copyOf(methods);
            filters = List.copyOf(filters);
            parameters = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(parameters));
        }
    }

    /**
     * The layer-path ("data flow space") genome of Akiba et al. 2024: the layers of every model laid out in order,
     * that sequence repeated {@code repeats} times, one indicator per position; a layer is kept when its indicator
     * exceeds {@code threshold}.
     */
    public record LayerPathSpec(List<String> models, int repeats, double threshold, Optional<String> tokenizerSource)
            implements GenomeSpec {
        public LayerPathSpec {
            models = List.copyOf(models);
        }
    }

    public enum Algorithm {
        CMA_ES("cma-es"), NSGA2("nsga2");

        public final String yamlName;

        Algorithm(String yamlName) {
            this.yamlName = yamlName;
        }
    }

    /**
     * The optimiser. {@code populationSize} empty means the library default (CMA-ES: 4 + floor(3 ln n), as the
     * {@code cma} package mergekit-evolve uses); {@code maxEvals} defaults to mergekit-evolve's
     * {@code --max-fevals} default of 100; {@code maxSeconds} empty means no time budget.
     */
    public record OptimizerSpec(Algorithm algorithm, Optional<Integer> populationSize, double sigma0, long seed,
                                int maxEvals, Optional<Double> maxSeconds) {
        public OptimizerSpec {
            Objects.requireNonNull(algorithm);
            Objects.requireNonNull(populationSize);
            Objects.requireNonNull(maxSeconds);
        }

        public OptimizerSpec with(Optional<Integer> maxEvalsOverride, Optional<Long> seedOverride,
                                  Optional<Double> sigma0Override) {
            return new OptimizerSpec(algorithm, populationSize, sigma0Override.orElse(sigma0), seedOverride.orElse(seed),
                    maxEvalsOverride.orElse(maxEvals), maxSeconds);
        }
    }

    public SearchConfig withOptimizer(OptimizerSpec o) {
        return new SearchConfig(source, genome, tasks, limit, numFewshot, randomInit, o);
    }
}
