package dev.mergelab.lab.search;

import java.util.Arrays;
import java.util.Objects;

/**
 * One evaluation the optimiser asked for: a row of the lab's {@code search_evals} table.
 *
 * @param step         position in the optimiser's deterministic order, from 0
 * @param generation   the optimiser's generation (CMA-ES: 0 is the starting point, then one per population)
 * @param genotype     the vector the optimiser proposed
 * @param recipe       the canonical recipe it decoded to
 * @param candidate    the content id the child was recorded under (null when it was not recorded)
 * @param values       each objective's raw metric value, in the configuration's task order
 * @param fitness      the scalar the optimiser minimises: minus mergekit-evolve's score (sum of weight x value)
 * @param mergeSeconds time spent merging the virtual child
 * @param evalSeconds  time spent evaluating it
 */
public record EvalRecord(int step, int generation, double[] genotype, String recipe, String candidate, double[] values,
                         double fitness, double mergeSeconds, double evalSeconds) {
    public EvalRecord {
        genotype = genotype.clone();
        values = values.clone();
        Objects.requireNonNull(recipe);
    }

    @Override
    public double[] genotype() {
        return genotype.clone();
    }

    @Override
    public double[] values() {
        return values.clone();
    }

    /** mergekit-evolve's score: higher is better. */
    public double score() {
        return -fitness;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EvalRecord r && step == r.step && generation == r.generation && Arrays.equals(genotype, r.genotype)
                && recipe.equals(r.recipe) && Objects.equals(candidate, r.candidate) && Arrays.equals(values, r.values)
                && Double.compare(fitness, r.fitness) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(step, generation, Arrays.hashCode(genotype), recipe, candidate, Arrays.hashCode(values), fitness);
    }

    @Override
    public String toString() {
        return "EvalRecord[step=" + step + ", generation=" + generation + ", fitness=" + fitness + ", values="
                + Arrays.toString(values) + "]";
    }
}
