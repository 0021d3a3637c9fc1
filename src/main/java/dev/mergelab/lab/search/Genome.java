package dev.mergelab.lab.search;

import dev.mergelab.recipe.Recipe;

/**
 * A search space: real vectors (genotypes) of a fixed length that decode to merge recipes. Decoding is a pure
 * function of the vector, so a recorded genotype always gives back the same recipe.
 */
public interface Genome {

    /** Genes in a genotype. */
    int dimension();

    /** The starting point: mergekit-evolve's initial genotype, or a uniform random one drawn from {@code seed}. */
    double[] initial(boolean random, long seed);

    /** Lower ends of each gene's range (the multi-objective optimiser samples within them). */
    double[] lower();

    /** Upper ends of each gene's range. */
    double[] upper();

    /** A genotype whose child is as large as any this genome decodes to (to plan memory for concurrent candidates). */
    double[] largest();

    /** The recipe of {@code genotype}, parsed (so it is exactly what a merge of the written YAML would read). */
    Recipe decode(double[] genotype);
}
