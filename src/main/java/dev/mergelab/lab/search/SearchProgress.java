package dev.mergelab.lab.search;

/**
 * The state after a generation, for the live progress line.
 *
 * @param generation  the generation just finished
 * @param best        the best score so far (mergekit-evolve's score: sum of weight x value; higher is better)
 * @param median      the median score of this generation's candidates
 * @param evaluations steps done, replayed ones included
 * @param budget      the evaluation budget
 * @param replayed    how many of the steps were answered from the lab
 * @param seconds     time since this run started
 */
public record SearchProgress(int generation, double best, double median, int evaluations, int budget, int replayed,
                             double seconds) {
}
