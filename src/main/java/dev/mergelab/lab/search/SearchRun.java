package dev.mergelab.lab.search;

import dev.mergelab.lab.search.SearchConfig.Algorithm;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Runs a search: the optimiser proposes genotypes, {@link Evaluations} answers them from the log or by evaluating,
 * until the budget or the optimiser's convergence ends it; then the best candidate (mergekit-evolve's score) and,
 * for several objectives, the Pareto front over every evaluation.
 */
public final class SearchRun {

    private SearchRun() {
    }

    /**
     * @param threads      threads for merging and evaluating
     * @param memoryBudget heap bytes the concurrent evaluations may hold together
     * @param clock        nanosecond clock for the time budget and progress
     */
    public record Options(int threads, long memoryBudget, LongSupplier clock) {
    }

    /**
     * @param records   every step of the search, in order (replayed ones included)
     * @param best      the highest-scoring step (the earliest on a tie)
     * @param pareto    the non-dominated steps (several objectives), else just the best
     * @param stopped   why the search ended
     * @param replayed  steps answered from the log
     */
    public record Result(List<EvalRecord> records, EvalRecord best, List<EvalRecord> pareto, String stopped, int replayed,
                         int populationSize) {
    }

    /** The population size the optimiser will use for {@code genome}. */
    public static int populationSize(SearchConfig config, Genome genome) {
        return config.optimizer().populationSize().orElse(config.optimizer().algorithm() == Algorithm.CMA_ES
                ? CmaEs.defaultPopulation(genome.dimension()) : Nsga2.defaultPopulation(genome.dimension()));
    }

    public static Result run(SearchConfig config, Genome genome, Fitness fitness, EvalLog log, Options options,
                             Consumer<SearchProgress> progress) {
        SearchConfig.OptimizerSpec o = config.optimizer();
        double[] weights = config.tasks().stream().mapToDouble(SearchConfig.Objective::weight).toArray();
        double[] x0 = genome.initial(config.randomInit(), o.seed());
        int population = populationSize(config, genome);
        Optimiser optimiser = o.algorithm() == Algorithm.CMA_ES
                ? new CmaEs(x0, o.sigma0(), population, o.seed())
                : new Nsga2(x0, genome.lower(), genome.upper(), population, o.seed());
        String stopped;
        List<EvalRecord> records;
        int replayed;
        try (Evaluations evaluations = new Evaluations(genome, fitness, log, weights, o.maxEvals(),
                o.maxSeconds().orElse(0.0), options.threads(), options.memoryBudget(), options.clock(), progress)) {
            try {
                optimiser.run(evaluations);
                stopped = "the optimiser converged";
            } catch (Optimiser.BudgetExhausted e) {
                stopped = e.getMessage();
            }
            evaluations.flushGeneration();
            records = evaluations.done();
            replayed = evaluations.replayed();
        }
        if (records.isEmpty()) {
            throw dev.mergelab.MergeLabException.input("the search evaluated no candidate (" + stopped + ")",
                    "give it a larger optimizer.max_time");
        }
        EvalRecord best = records.getFirst();
        for (EvalRecord r : records) {
            if (r.score() > best.score()) {
                best = r;
            }
        }
        List<EvalRecord> pareto = config.tasks().size() > 1 ? ParetoFront.of(records, weights) : List.of(best);
        return new Result(records, best, pareto, stopped, replayed, population);
    }
}
