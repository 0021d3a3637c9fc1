package dev.mergelab.lab.search;

import dev.mergelab.recipe.Recipe;

/**
 * Scores a candidate recipe as a virtual child on the search's fixed data sample: the search's only view of merging
 * and evaluation. Implementations must give the same values for the same recipe whatever the thread count, and be
 * safe to call from several threads at once (the search evaluates a generation's candidates concurrently when
 * memory allows).
 */
public interface Fitness {

    /**
     * The objective values of {@code recipe}'s child, one per task of the configuration, in its order.
     *
     * @param threads the threads this evaluation may use
     */
    Trial evaluate(Recipe recipe, int threads);

    /** Heap bytes one evaluation holds while it runs (the virtual child and its working set). */
    long bytesPerCandidate();

    /**
     * @param values       raw metric values, one per objective
     * @param candidateId  the lab id the child was recorded under, or null when no lab is active
     */
    record Trial(double[] values, String candidateId, double mergeSeconds, double evalSeconds) {
        public Trial {
            values = values.clone();
        }

        @Override
        public double[] values() {
            return values.clone();
        }
    }
}
