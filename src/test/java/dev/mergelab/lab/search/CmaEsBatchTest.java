package dev.mergelab.lab.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.apache.commons.math3.exception.TooManyEvaluationsException;
import org.junit.jupiter.api.Test;

/**
 * CMA-ES in generation batches asks for exactly the candidates, in exactly the order, that Commons Math's optimiser
 * asks for when each candidate is scored as it is asked: the batches are whole generations and nothing else differs.
 */
class CmaEsBatchTest {

    private static double cost(double[] x) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - 0.3 * (i + 1);
            s += (i + 1) * d * d;
        }
        return s;
    }

    @Test
    void batchesAreWholeGenerationsOfTheSequentialSequence() {
        double[] x0 = {0.5, 0.5, 0.5, 0.5, 0.5};
        int lambda = 7;
        int budget = 120;
        List<double[]> sequential = new ArrayList<>();
        CMAESOptimizer cma = new CMAESOptimizer(Integer.MAX_VALUE, 0, true, 0, 0, new MersenneTwister(11L), false, null);
        double[] sigma = new double[x0.length];
        Arrays.fill(sigma, 0.2);
        try {
            cma.optimize(new MaxEval(budget), new ObjectiveFunction(x -> {
                sequential.add(x.clone());
                return cost(x);
            }), GoalType.MINIMIZE, new InitialGuess(x0), SimpleBounds.unbounded(x0.length), new CMAESOptimizer.Sigma(sigma),
                    new CMAESOptimizer.PopulationSize(lambda));
        } catch (TooManyEvaluationsException expected) {
            // the budget ends the reference run
        }

        List<double[]> batched = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        Optimiser.Problem problem = (genotypes, generation) -> {
            if (batched.size() >= sequential.size()) {
                throw new Optimiser.BudgetExhausted("done");
            }
            sizes.add(genotypes.size());
            List<Optimiser.Outcome> out = new ArrayList<>();
            for (double[] g : genotypes) {
                batched.add(g.clone());
                out.add(new Optimiser.Outcome(cost(g), new double[] {-cost(g)}));
            }
            return out;
        };
        try {
            new CmaEs(x0, 0.2, lambda, 11).run(problem);
        } catch (Optimiser.BudgetExhausted expected) {
            // stopped once it has asked for at least as many as the reference
        }
        assertTrue(batched.size() >= sequential.size() - 1, batched.size() + " of " + sequential.size());
        for (int i = 0; i < Math.min(batched.size(), sequential.size()); i++) {
            assertArrayEquals(sequential.get(i), batched.get(i), "candidate " + i);
        }
        assertEquals(1, sizes.getFirst(), "the starting point is generation 0 alone");
        for (int g = 1; g < sizes.size(); g++) {
            assertEquals(lambda, sizes.get(g), "generation " + g + " is one batch of the population");
        }
    }
}
