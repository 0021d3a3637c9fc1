package dev.mergelab.lab.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.SimpleBounds;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.CMAESOptimizer;
import org.apache.commons.math3.random.MersenneTwister;

/**
 * Single-objective search with CMA-ES, as mergekit-evolve (which calls the {@code cma} package's {@code fmin2} with
 * {@code x0}, {@code sigma0} and an optional population size, unbounded).
 *
 * <p>Library choice: Apache Commons Math 3.6.1's {@code CMAESOptimizer} (Hansen's reference algorithm, active CMA,
 * the same default population 4 + floor(3 ln n)): an Apache project with no dependencies, stable API and years of
 * use. The candidates checked: Jenetics (actively released, but no CMA-ES); jMetal 6.1 (has CMA-ES and NSGA-II, but
 * its core drags in Weka, XChart and Spring test jars, and its operators share one global random source). Its
 * randomness is one seeded Mersenne Twister, so a seed gives one sequence of candidates. Commons Math evaluates the
 * starting point first (step 0).
 *
 * <p>Commons Math asks for one candidate at a time, but a generation's candidates do not depend on each other's values
 * (they are drawn before any is scored), so a generation is evaluated as one batch, in parallel as far as memory allows:
 * the optimiser is run from the start with every value known so far; its first unknown candidate and every further
 * one of the same generation are collected (answered with a placeholder), the run is stopped when the next generation
 * begins, the batch is evaluated, and the optimiser is run again from the start. The runs are deterministic, so each
 * one retraces the previous one with the true values: the candidates, their order and the result are those of a run
 * that scored each candidate as it was asked, and the problem sees every step once, in order. Re-running costs only
 * the optimiser's own arithmetic, negligible beside one evaluation.
 */
final class CmaEs implements Optimiser {

    private final double[] x0;
    private final double sigma0;
    private final int lambda;
    private final long seed;

    CmaEs(double[] x0, double sigma0, int populationSize, long seed) {
        this.x0 = x0.clone();
        this.sigma0 = sigma0;
        this.lambda = populationSize;
        this.seed = seed;
    }

    /** The {@code cma} package's and Commons Math's default population for {@code n} genes. */
    static int defaultPopulation(int n) {
        return 4 + (int) Math.floor(3 * Math.log(n));
    }

    @Override
    public void run(Problem problem) {
        List<Double> costs = new ArrayList<>(); // the value of the optimiser's n-th request, in request order
        while (true) {
            List<double[]> batch = new ArrayList<>();
            int[] calls = {0};
            int[] batchGeneration = {-1};
            CMAESOptimizer cma = new CMAESOptimizer(Integer.MAX_VALUE, 0, true, 0, 0, new MersenneTwister(seed), false, null);
            double[] sigma = new double[x0.length];
            Arrays.fill(sigma, sigma0);
            // BaseOptimizer counts the evaluation it is making: generation 0 is the starting point
            ObjectiveFunction f = new ObjectiveFunction(x -> {
                int call = calls[0]++;
                if (call < costs.size()) {
                    return costs.get(call); // the same request as in the previous run: runs are deterministic
                }
                int generation = cma.getIterations();
                if (!batch.isEmpty() && generation != batchGeneration[0]) {
                    throw new GenerationCollected(); // the next generation begins: the batch is complete
                }
                batchGeneration[0] = generation;
                batch.add(x.clone());
                return 0; // a placeholder: this run is discarded once the batch is scored
            });
            try {
                cma.optimize(new MaxEval(Integer.MAX_VALUE), f, GoalType.MINIMIZE, new InitialGuess(x0), SimpleBounds.unbounded(x0.length),
                        new CMAESOptimizer.Sigma(sigma), new CMAESOptimizer.PopulationSize(lambda));
            } catch (GenerationCollected e) {
                // fall through: score the batch, then run again
            }
            if (batch.isEmpty()) {
                return; // the optimiser stopped (converged) knowing every value it asked for
            }
            for (Outcome o : problem.evaluate(batch, batchGeneration[0])) {
                costs.add(o.cost());
            }
        }
    }

    /** Stops a run of the optimiser at the first candidate of the generation after the batch being collected. */
    private static final class GenerationCollected extends RuntimeException {
        GenerationCollected() {
            super(null, null, false, false);
        }
    }
}
