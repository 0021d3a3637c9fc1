package dev.mergelab.lab.search;

import java.util.List;

/** An optimiser: proposes genotypes in a deterministic order (for a seed) and learns from their outcomes. */
interface Optimiser {

    /** Runs until the problem's budget stops it or the optimiser converges. */
    void run(Problem problem);

    /** How the optimiser sees the search: evaluate a batch, in order. */
    interface Problem {
        /**
         * Outcomes of {@code genotypes} in order.
         *
         * @throws BudgetExhausted when the evaluation or time budget ends the search (the evaluations made are kept)
         */
        List<Outcome> evaluate(List<double[]> genotypes, int generation);
    }

    /**
     * @param cost       the scalar the single-objective optimiser minimises
     * @param objectives weight x value per objective, which the multi-objective optimiser maximises
     */
    record Outcome(double cost, double[] objectives) {
    }

    /** Thrown through the optimiser's callback to end the search when its budget is spent. */
    final class BudgetExhausted extends RuntimeException {
        BudgetExhausted(String reason) {
            super(reason, null, false, false);
        }
    }
}
