package dev.mergelab.lab.search;

import dev.mergelab.lab.search.SearchConfig.LayerPathSpec;
import dev.mergelab.recipe.DTypeSetting;
import dev.mergelab.recipe.InputSlice;
import dev.mergelab.recipe.LayerRange;
import dev.mergelab.recipe.Located;
import dev.mergelab.recipe.ModelsOrSlices;
import dev.mergelab.recipe.OutputSlice;
import dev.mergelab.recipe.Parameters;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.tensor.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The layer-path genome of "Evolutionary Optimization of Model Merging Recipes" (Akiba et al., 2024), section 3.2,
 * "merging in the data flow space": the layers of all models are laid out in order (model 1's layers 0..L-1, then
 * model 2's, ...), that sequence is repeated {@code repeats} times, and an indicator array with one gene per position
 * says which layers the child runs, in that order: position t is kept when its gene exceeds the threshold. The kept
 * layers become a passthrough recipe, one slice per run of consecutive layers of one model.
 *
 * <p>What is implemented and what is not. Implemented: the indicator array over the repeated sequence with a
 * threshold, searched by CMA-ES (as the paper) or NSGA-II. Not implemented: the paper's scaling matrix W that
 * multiplies the hidden state when the path passes from one model to another (a passthrough recipe cannot express
 * a scale on activations), and its search in combination with a parameter-space merge. A genotype that keeps no
 * layer keeps the one position with the highest gene (the first on a tie), so every genotype decodes to a model.
 * Embeddings, final norm and head come from the model of the first kept layer, as the merge engine takes
 * non-layer tensors of a slices recipe.
 */
public final class LayerPathGenome implements Genome {

    private final LayerPathSpec spec;
    private final List<Integer> layers;
    private final int perRepeat;

    /** @param layers each model's number of layers, in the spec's model order */
    public LayerPathGenome(LayerPathSpec spec, List<Integer> layers) {
        if (layers.size() != spec.models().size()) {
            throw new IllegalArgumentException("one layer count per model");
        }
        this.spec = spec;
        this.layers = List.copyOf(layers);
        this.perRepeat = layers.stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public int dimension() {
        return perRepeat * spec.repeats();
    }

    /** Starts as the first model itself: its layers in the first repeat on, everything else off. */
    @Override
    public double[] initial(boolean random, long seed) {
        double[] x = new double[dimension()];
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int t = 0; t < x.length; t++) {
            x[t] = random ? spec.threshold() - 1 + 2 * r.nextDouble()
                    : spec.threshold() + (t < layers.getFirst() ? 0.5 : -0.5);
        }
        return x;
    }

    /** Every position kept: the deepest child. */
    @Override
    public double[] largest() {
        double[] x = new double[dimension()];
        java.util.Arrays.fill(x, spec.threshold() + 1);
        return x;
    }

    @Override
    public double[] lower() {
        double[] r = new double[dimension()];
        java.util.Arrays.fill(r, spec.threshold() - 1);
        return r;
    }

    @Override
    public double[] upper() {
        double[] r = new double[dimension()];
        java.util.Arrays.fill(r, spec.threshold() + 1);
        return r;
    }

    /** The positions kept, as (model, layer) pairs in path order. */
    List<int[]> path(double[] x) {
        if (x.length != dimension()) {
            throw new IllegalArgumentException("genotype has " + x.length + " genes, the genome " + dimension());
        }
        List<int[]> kept = new ArrayList<>();
        int best = 0;
        for (int t = 0; t < x.length; t++) {
            if (x[t] > spec.threshold()) {
                kept.add(position(t));
            }
            if (x[t] > x[best]) {
                best = t;
            }
        }
        if (kept.isEmpty()) {
            kept.add(position(best));
        }
        return kept;
    }

    private int[] position(int t) {
        int within = t % perRepeat;
        for (int m = 0; m < layers.size(); m++) {
            if (within < layers.get(m)) {
                return new int[] {m, within};
            }
            within -= layers.get(m);
        }
        throw new IllegalStateException();
    }

    @Override
    public Recipe decode(double[] x) {
        List<int[]> path = path(x);
        List<OutputSlice> slices = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= path.size(); i++) {
            boolean breaks = i == path.size() || path.get(i)[0] != path.get(i - 1)[0] || path.get(i)[1] != path.get(i - 1)[1] + 1;
            if (breaks) {
                int[] first = path.get(start);
                int[] last = path.get(i - 1);
                InputSlice src = new InputSlice(MergeGenome.ref(spec.models().get(first[0])),
                        new LayerRange(first[1], last[1] + 1, 0), Parameters.NONE, 0);
                slices.add(new OutputSlice(List.of(src), Optional.empty(), Optional.empty(), Parameters.NONE, 0));
                start = i;
            }
        }
        Recipe built = new Recipe("candidate", "", new Located<>("passthrough", 0), Optional.empty(),
                Optional.of(new ModelsOrSlices.Slices(slices, 0)), new LinkedHashMap<>(), Parameters.NONE,
                Optional.of(new DTypeSetting(DType.BF16, "bfloat16", 0)), Optional.empty(),
                spec.tokenizerSource().map(MergeGenome::tokenizerSource), Optional.empty(), Optional.empty(), Optional.empty());
        return Recipe.parse(built.toYaml(), "candidate.yml");
    }
}
