package dev.mergelab.lab.soup;

import dev.mergelab.lab.trial.Objectives;
import dev.mergelab.lab.trial.TrialResult;
import dev.mergelab.lab.trial.TrialRunner;
import dev.mergelab.recipe.Recipe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The two soups of "Model soups" over ingredients that share a base, each candidate scored by a {@link TrialRunner}
 * and reduced to a fitness by {@link Objectives} (higher is better).
 *
 * <p>Uniform: one candidate, the average of every ingredient.
 *
 * <p>Greedy (the paper's Algorithm 1): every ingredient is scored alone on the held-out tasks and ranked by that score,
 * best first (a tie keeps the given order); the soup starts as the best ingredient; each next ingredient in rank order
 * is added only if the soup with it scores at least as well as the soup without it ({@code >=}, as Algorithm 1 writes
 * it; the authors' script compares with {@code >}). The result is the average of the ingredients kept.
 */
public final class Soup {

    public enum Mode { UNIFORM, GREEDY }

    /**
     * One evaluation.
     *
     * @param step       0, 1, ... in the order evaluated
     * @param generation 0 for the ingredients scored alone (and the uniform soup); i for the greedy soup's i-th addition
     * @param included   which ingredients (in the given order) the candidate averages
     * @param recipe     the candidate's recipe (for an ingredient alone, the one-model recipe that is that model)
     * @param trial      its scores and timings
     * @param values     each objective's value
     * @param kept       for a greedy step, whether the ingredient was added; null for an ingredient scored alone and
     *                   for the uniform soup
     */
    public record Step(int step, int generation, boolean[] included, Recipe recipe, TrialResult trial, double[] values, double fitness,
            Boolean kept) {

        /** Whether this step scored one ingredient as it is (no merge). */
        public boolean alone() {
            return trial.recipe() == null;
        }
    }

    /** Hears each step as soon as it is scored (to record and print it). */
    @FunctionalInterface
    public interface Listener {
        void step(Step s);
    }

    /**
     * What the soup chose.
     *
     * @param chosen the ingredients of the final soup
     * @param best   the step whose candidate is the final soup (its scores)
     */
    public record Outcome(List<Step> steps, boolean[] chosen, Step best) {
    }

    private final List<String> ingredients;
    private final TrialRunner runner;
    private final Objectives objectives;
    private final Listener listener;
    private final List<Step> steps = new ArrayList<>();

    /** @param ingredients model references, as the recipes name them */
    public Soup(List<String> ingredients, TrialRunner runner, Objectives objectives, Listener listener) {
        this.ingredients = List.copyOf(ingredients);
        this.runner = runner;
        this.objectives = objectives;
        this.listener = listener;
    }

    public Outcome run(Mode mode) {
        return mode == Mode.UNIFORM ? uniform() : greedy();
    }

    private Outcome uniform() {
        boolean[] all = new boolean[ingredients.size()];
        Arrays.fill(all, true);
        Recipe r = recipe(all);
        Step s = announce(score(0, all, r, runner.run(r, r.source(), done -> { }), null));
        return new Outcome(List.copyOf(steps), all, s);
    }

    private Outcome greedy() {
        int k = ingredients.size();
        Step[] alone = new Step[k];
        for (int i = 0; i < k; i++) {
            boolean[] one = new boolean[k];
            one[i] = true;
            String ref = ingredients.get(i);
            alone[i] = announce(score(0, one, recipe(one), runner.evaluateModel(ref, ref, done -> { }), null));
        }
        Integer[] rank = IntStream.range(0, k).boxed().toArray(Integer[]::new);
        Arrays.sort(rank, Comparator.comparingDouble((Integer i) -> -alone[i].fitness()));   // stable: ties keep the given order
        boolean[] soup = new boolean[k];
        soup[rank[0]] = true;
        Step best = alone[rank[0]];
        for (int j = 1; j < k; j++) {
            boolean[] candidate = soup.clone();
            candidate[rank[j]] = true;
            Recipe r = recipe(candidate);
            Step s = score(j, candidate, r, runner.run(r, r.source(), done -> { }), null);
            boolean keep = s.fitness() >= best.fitness();
            s = announce(new Step(s.step(), s.generation(), s.included(), s.recipe(), s.trial(), s.values(), s.fitness(), keep));
            if (keep) {
                soup = candidate;
                best = s;
            }
        }
        return new Outcome(List.copyOf(steps), soup, best);
    }

    /** The step the next announced one will be: {@code t}'s objectives and fitness. */
    private Step score(int generation, boolean[] included, Recipe r, TrialResult t, Boolean kept) {
        double[] v = objectives.values(t.results());
        return new Step(steps.size(), generation, included, r, t, v, objectives.fitness(v), kept);
    }

    private Step announce(Step s) {
        steps.add(s);
        listener.step(s);
        return s;
    }

    /** The recipe averaging the {@code included} ingredients, in the given order. */
    public Recipe recipe(boolean[] included) {
        return SoupRecipe.of(refs(included), List.of(), "soup.yml");
    }

    /** The references of the {@code included} ingredients, in the given order. */
    public List<String> refs(boolean[] included) {
        List<String> refs = new ArrayList<>();
        for (int i = 0; i < included.length; i++) {
            if (included[i]) {
                refs.add(ingredients.get(i));
            }
        }
        return refs;
    }
}
