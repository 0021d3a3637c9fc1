/**
 * Recipe search: mergekit-evolve's configuration and genome (a genotype decodes to the recipe mergekit would write),
 * MergeLab's extensions (method sets, searched parameters with bounds, the layer-path genome of Akiba et al. 2024),
 * CMA-ES (Commons Math) for one objective and NSGA-II (Jenetics) for several, over a {@link
 * dev.mergelab.lab.search.Fitness} that the trial layer implements (each candidate merged in memory and evaluated).
 * Every evaluation is one step of a deterministic sequence kept in an {@link dev.mergelab.lab.search.EvalLog} (the
 * lab's {@code search_evals}), so a search started again replays its recorded steps and continues.
 */
package dev.mergelab.lab.search;
