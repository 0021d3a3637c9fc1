package dev.mergelab.lab.search;

import dev.mergelab.MergeLabException;
import dev.mergelab.recipe.Recipe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The search as the optimiser sees it: each genotype it proposes becomes the next step. A step the log already
 * holds (a search started again after a kill) is answered from the log, after checking that the optimiser proposed
 * exactly the recorded genotype; a new step is decoded, evaluated as a virtual child and appended to the log in step
 * order. The evaluation budget and the time budget end the search by throwing {@link Optimiser.BudgetExhausted}.
 */
final class Evaluations implements Optimiser.Problem, AutoCloseable {

    private final Genome genome;
    private final Fitness fitness;
    private final EvalLog log;
    private final double[] weights;
    private final int maxEvals;
    private final long deadline;
    private final LongSupplier clock;
    private final long started;
    private final int threads;
    private final long memoryBudget;
    private final List<EvalRecord> recorded;
    private final List<EvalRecord> done = new ArrayList<>();
    private final Consumer<SearchProgress> progress;
    private final List<Double> generationScores = new ArrayList<>();
    private final ExecutorService pool;
    private int generation = -1;
    private int replayed;
    private double best = Double.NEGATIVE_INFINITY;

    /** @param maxSeconds time budget for new evaluations (replayed steps are free); 0 or less for none */
    Evaluations(Genome genome, Fitness fitness, EvalLog log, double[] weights, int maxEvals, double maxSeconds,
                int threads, long memoryBudget, LongSupplier clock, Consumer<SearchProgress> progress) {
        this.genome = genome;
        this.fitness = fitness;
        this.log = log;
        this.weights = weights.clone();
        this.maxEvals = maxEvals;
        this.clock = clock;
        this.started = clock.getAsLong();
        this.deadline = maxSeconds > 0 ? started + (long) (maxSeconds * 1e9) : Long.MAX_VALUE;
        this.threads = threads;
        this.memoryBudget = memoryBudget;
        this.recorded = log.recorded();
        this.progress = progress;
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "mergelab-search");
            t.setDaemon(true);
            return t;
        });
    }

    List<EvalRecord> done() {
        return List.copyOf(done);
    }

    int replayed() {
        return replayed;
    }

    @Override
    public List<Optimiser.Outcome> evaluate(List<double[]> genotypes, int gen) {
        int allowed = maxEvals - done.size();
        if (allowed <= 0) {
            throw new Optimiser.BudgetExhausted("evaluation budget of " + maxEvals + " spent");
        }
        int n = Math.min(genotypes.size(), allowed);
        List<Optimiser.Outcome> outcomes = new ArrayList<>();
        int i = 0;
        for (; i < n && done.size() < recorded.size(); i++) {
            EvalRecord r = recorded.get(done.size());
            if (!Arrays.equals(r.genotype(), genotypes.get(i))) {
                throw MergeLabException.input("the lab's record of this search diverges from the optimiser at step " + r.step()
                        + " (it was recorded by a different MergeLab or optimiser version)",
                        "start it as a new search: another --seed or another lab");
            }
            replayed++;
            accept(r);
            outcomes.add(outcome(r));
        }
        if (i < n) {
            if (clock.getAsLong() > deadline) {
                throw new Optimiser.BudgetExhausted("time budget spent");
            }
            outcomes.addAll(evaluateFresh(genotypes.subList(i, n), gen));
        }
        if (n < genotypes.size()) {
            throw new Optimiser.BudgetExhausted("evaluation budget of " + maxEvals + " spent");
        }
        return outcomes;
    }

    private List<Optimiser.Outcome> evaluateFresh(List<double[]> batch, int gen) {
        List<Recipe> recipes = batch.stream().map(genome::decode).toList();
        Concurrency plan = Concurrency.plan(threads, batch.size(), memoryBudget, fitness.bytesPerCandidate());
        List<Optimiser.Outcome> outcomes = new ArrayList<>();
        if (plan.parallel() == 1) {
            for (int k = 0; k < batch.size(); k++) {
                if (k > 0 && clock.getAsLong() > deadline) {
                    throw new Optimiser.BudgetExhausted("time budget spent"); // the evaluations made are recorded
                }
                outcomes.add(record(batch.get(k), recipes.get(k), fitness.evaluate(recipes.get(k), plan.threadsEach()), gen));
            }
            return outcomes;
        }
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(plan.parallel());
        List<Future<Fitness.Trial>> futures = new ArrayList<>();
        for (int k = 0; k < recipes.size(); k++) {
            Recipe recipe = recipes.get(k);
            boolean first = k == 0;
            futures.add(pool.submit(() -> {
                slots.acquire();
                try {
                    // past the time budget a candidate not yet started is not started (null): the batch ends there
                    return !first && clock.getAsLong() > deadline ? null : fitness.evaluate(recipe, plan.threadsEach());
                } finally {
                    slots.release();
                }
            }));
        }
        try {
            for (int k = 0; k < batch.size(); k++) {
                Fitness.Trial trial = futures.get(k).get();
                if (trial == null) {
                    futures.forEach(f -> f.cancel(true));
                    throw new Optimiser.BudgetExhausted("time budget spent");
                }
                outcomes.add(record(batch.get(k), recipes.get(k), trial, gen));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while evaluating candidates", e);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
        return outcomes;
    }

    private Optimiser.Outcome record(double[] genotype, Recipe recipe, Fitness.Trial trial, int gen) {
        double[] v = trial.values();
        if (v.length != weights.length) {
            throw new IllegalStateException("fitness gave " + v.length + " values for " + weights.length + " objectives");
        }
        double score = 0;
        for (int k = 0; k < v.length; k++) {
            score += weights[k] * v[k];
        }
        double cost = Double.isFinite(score) ? -score : Double.MAX_VALUE;
        EvalRecord r = new EvalRecord(done.size(), gen, genotype, recipe.toYaml(), trial.candidateId(), v, cost,
                trial.mergeSeconds(), trial.evalSeconds());
        log.append(r);
        accept(r);
        return outcome(r);
    }

    private Optimiser.Outcome outcome(EvalRecord r) {
        double[] o = ParetoFront.objectives(r, weights);
        for (int k = 0; k < o.length; k++) {
            if (!Double.isFinite(o[k])) {
                o[k] = -Double.MAX_VALUE;
            }
        }
        return new Optimiser.Outcome(r.fitness(), o);
    }

    private void accept(EvalRecord r) {
        if (r.generation() != generation) {
            flushGeneration();
            generation = r.generation();
        }
        done.add(r);
        generationScores.add(r.score());
        best = Math.max(best, r.score());
    }

    /** Reports the generation in progress, if it has any evaluation; called at each new generation and at the end. */
    void flushGeneration() {
        if (generationScores.isEmpty()) {
            return;
        }
        double[] s = generationScores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        progress.accept(new SearchProgress(generation, best, median, done.size(), maxEvals, replayed,
                (clock.getAsLong() - started) / 1e9));
        generationScores.clear();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
