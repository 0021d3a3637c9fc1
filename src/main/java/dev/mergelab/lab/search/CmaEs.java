package dev.mergelab.lab.search;

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
 * its core drags in Weka, XChart and Spring test jars, and its operators share one global random source). Commons
 * Math's optimiser asks for one candidate at a time and needs its value before it generates the next, so CMA-ES
 * candidates are evaluated one after another, each with all threads; its randomness is one seeded Mersenne Twister,
 * so a seed gives one sequence of candidates. Commons Math evaluates the starting point first (step 0).
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
        CMAESOptimizer cma = new CMAESOptimizer(Integer.MAX_VALUE, 0, true, 0, 0, new MersenneTwister(seed), false, null);
        double[] sigma = new double[x0.length];
        Arrays.fill(sigma, sigma0);
        // BaseOptimizer counts the evaluation it is making: generation 0 is the starting point
        ObjectiveFunction f = new ObjectiveFunction(x -> problem.evaluate(List.of(x), cma.getIterations()).getFirst().cost());
        cma.optimize(new MaxEval(Integer.MAX_VALUE), f, GoalType.MINIMIZE, new InitialGuess(x0), SimpleBounds.unbounded(x0.length),
                new CMAESOptimizer.Sigma(sigma), new CMAESOptimizer.PopulationSize(lambda));
    }
}
