package dev.mergelab.lab.search;

import dev.mergelab.lab.search.SearchConfig.Bounds;
import dev.mergelab.lab.search.SearchConfig.MergeGenomeSpec;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.MethodSpec;
import dev.mergelab.method.ParamSpec;
import dev.mergelab.method.Scope;
import dev.mergelab.recipe.DTypeSetting;
import dev.mergelab.recipe.InputModel;
import dev.mergelab.recipe.InputSlice;
import dev.mergelab.recipe.LayerRange;
import dev.mergelab.recipe.Literal;
import dev.mergelab.recipe.Located;
import dev.mergelab.recipe.ModelRef;
import dev.mergelab.recipe.ModelsOrSlices;
import dev.mergelab.recipe.OutputSlice;
import dev.mergelab.recipe.ParamValue;
import dev.mergelab.recipe.Parameters;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.recipe.TokenizerSource;
import dev.mergelab.tensor.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * mergekit-evolve's parameter-space genome ({@code ModelGenome} in {@code mergekit/evo/genome.py}), decoding a
 * genotype to the same recipe it would write, plus MergeLab's extensions.
 *
 * <p>Genotype layout. The first block is mergekit's tensor {@code [layer groups][models][parameter sets][params]}
 * flattened in row-major order (as {@code torch.view}): groups are runs of {@code layer_granularity} layers (one
 * group when unset), parameter sets are one per filter plus a catch-all, params are the searched per-model
 * parameters in order (mergekit: {@code METHOD_PARAM_MAPS}; weight first). MergeLab appends, only when configured,
 * {@code [groups][sets][global params]} for searched parameters a method takes once (e.g. lambda), and one score per
 * method when the genome chooses between several methods (the highest score wins, the first on a tie). A
 * configuration in mergekit's own schema therefore has exactly mergekit's genotype.
 *
 * <p>Values as mergekit: density is {@code |x|} clamped to [0, 1]; weight and t are {@code |x|} unless
 * allow_negative_weights; then a configured {@code [min, max]} clamps. Slerp takes the two models with the highest
 * first gene in each group, as mergekit's {@code _slerp_slices}. mergekit writes {@code normalize} and
 * {@code int8_mask: true} for every method and lets methods ignore them; MergeLab's recipes refuse parameters a
 * method does not take, so each is written only where the chosen method has it. Output dtype is bfloat16, as
 * mergekit-evolve's.
 */
public final class MergeGenome implements Genome {

    private final MergeGenomeSpec spec;
    private final int numLayers;
    private final int groups;
    private final int sets;
    private final List<String> perModel;
    private final List<String> global;
    private final boolean slerp;

    /** @param numLayers the first model's {@code num_hidden_layers}, as mergekit reads it */
    public MergeGenome(MergeGenomeSpec spec, int numLayers, String source) {
        this.spec = spec;
        this.numLayers = numLayers;
        if (spec.layerGranularity() > 0 && numLayers % spec.layerGranularity() != 0) {
            throw SearchConfigParser.error(source, 0, "the models have " + numLayers + " layers, which is not a multiple of"
                    + " genome.layer_granularity " + spec.layerGranularity());
        }
        this.groups = spec.layerGranularity() > 0 ? numLayers / spec.layerGranularity() : 1;
        this.sets = spec.filters().size() + 1;
        this.slerp = spec.methods().equals(List.of("slerp"));
        List<String> pm = new ArrayList<>();
        List<String> gl = new ArrayList<>();
        for (String p : spec.parameters().keySet()) {
            (slerp || scopeOf(p) == Scope.PER_MODEL ? pm : gl).add(p);
        }
        this.perModel = List.copyOf(pm);
        this.global = List.copyOf(gl);
    }

    private Scope scopeOf(String param) {
        for (String m : spec.methods()) {
            ParamSpec p = MethodRegistry.get(m).spec().param(param);
            if (p != null) {
                return p.scope();
            }
        }
        return Scope.PER_MODEL;
    }

    private int models() {
        return spec.models().size();
    }

    private int block1() {
        return groups * models() * sets * perModel.size();
    }

    private int block2() {
        return groups * sets * global.size();
    }

    private int methodGenes() {
        return spec.methods().size() > 1 ? spec.methods().size() : 0;
    }

    @Override
    public int dimension() {
        return block1() + block2() + methodGenes();
    }

    private int at(int group, int model, int set, int param) {
        return ((group * models() + model) * sets + set) * perModel.size() + param;
    }

    private int atGlobal(int group, int set, int param) {
        return block1() + (group * sets + set) * global.size() + param;
    }

    @Override
    public double[] initial(boolean random, long seed) {
        double[] x = new double[dimension()];
        if (random) {
            // mergekit: torch.rand, uniform in [0, 1); here from the search seed so a search is reproducible
            SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble();
            }
            return x;
        }
        // mergekit: x0[..., 0] = 1 / n_models (weight is always first), x0[..., 1:] = 1
        for (int g = 0; g < groups; g++) {
            for (int m = 0; m < models(); m++) {
                for (int s = 0; s < sets; s++) {
                    for (int p = 0; p < perModel.size(); p++) {
                        double v = p == 0 ? 1.0 / models() : 1.0;
                        Optional<Bounds> b = spec.parameters().get(perModel.get(p));
                        x[at(g, m, s, p)] = b.map(bb -> bb.clamp(v)).orElse(v);
                    }
                }
                for (int s = 0; m == 0 && s < sets; s++) {
                    for (int p = 0; p < global.size(); p++) {
                        Optional<Bounds> b = spec.parameters().get(global.get(p));
                        x[atGlobal(g, s, p)] = b.map(bb -> bb.clamp(1.0)).orElse(1.0);
                    }
                }
            }
        }
        for (int i = 0; i < methodGenes(); i++) {
            x[block1() + block2() + i] = 0.5;
        }
        return x;
    }

    /** Every genotype's child has the parents' shapes: any one is the largest. */
    @Override
    public double[] largest() {
        return initial(false, 0);
    }

    @Override
    public double[] lower() {
        return range(true);
    }

    @Override
    public double[] upper() {
        return range(false);
    }

    private double[] range(boolean low) {
        double[] r = new double[dimension()];
        for (int i = 0; i < r.length; i++) {
            String name = paramOfGene(i);
            Optional<Bounds> b = name == null ? Optional.empty() : spec.parameters().get(name);
            double lo = b.map(Bounds::min).orElse(spec.allowNegativeWeights() && ("weight".equals(name) || "t".equals(name)) ? -1.0 : 0.0);
            double hi = b.map(Bounds::max).orElse(1.0);
            r[i] = low ? lo : hi;
        }
        return r;
    }

    private String paramOfGene(int i) {
        if (i < block1()) {
            return perModel.get(i % perModel.size());
        }
        if (i < block1() + block2()) {
            return global.get((i - block1()) % global.size());
        }
        return null;
    }

    /** The method a genotype chooses. */
    String method(double[] x) {
        if (methodGenes() == 0) {
            return spec.methods().getFirst();
        }
        int best = 0;
        for (int i = 1; i < methodGenes(); i++) {
            if (x[block1() + block2() + i] > x[block1() + block2() + best]) {
                best = i;
            }
        }
        return spec.methods().get(best);
    }

    private double value(String param, double v) {
        double out = v;
        if (param.equals("density")) {
            out = Math.min(1, Math.abs(v));
        } else if (!spec.allowNegativeWeights() && (param.equals("weight") || param.equals("t"))) {
            out = Math.abs(v);
        }
        Optional<Bounds> b = spec.parameters().get(param);
        return b.isPresent() ? b.get().clamp(out) : out;
    }

    @Override
    public Recipe decode(double[] x) {
        if (x.length != dimension()) {
            throw new IllegalArgumentException("genotype has " + x.length + " genes, the genome " + dimension());
        }
        String method = method(x);
        MethodSpec ms = MethodRegistry.get(method).spec();
        Map<String, ParamValue> top = new LinkedHashMap<>();
        boolean normalize = spec.normalize().orElse(List.of("ties", "dare_ties", "linear").contains(method));
        if (ms.param("normalize") != null) {
            top.put("normalize", new ParamValue.Scalar(new Literal.Bool(normalize), 0));
        }
        if (ms.param("int8_mask") != null) {
            top.put("int8_mask", new ParamValue.Scalar(new Literal.Bool(true), 0));
        }
        ModelsOrSlices inputs;
        if (slerp) {
            inputs = new ModelsOrSlices.Slices(slerpSlices(x), 0);
        } else if (spec.smooth()) {
            List<InputModel> models = new ArrayList<>();
            for (int m = 0; m < models(); m++) {
                Map<String, ParamValue> ps = new LinkedHashMap<>();
                for (int p = 0; p < perModel.size(); p++) {
                    if (ms.param(perModel.get(p)) == null) {
                        continue;
                    }
                    int mm = m;
                    int pp = p;
                    ps.put(perModel.get(p), setting((g, s) -> value(perModel.get(pp), x[at(g, mm, s, pp)]), true));
                }
                models.add(new InputModel(ref(spec.models().get(m)), Parameters.of(ps), 0));
            }
            spec.baseModel().filter(b -> !spec.models().contains(b))
                    .ifPresent(b -> models.add(new InputModel(ref(b), Parameters.NONE, 0)));
            inputs = new ModelsOrSlices.Models(models, 0);
            for (int p = 0; p < global.size(); p++) {
                int pp = p;
                if (ms.param(global.get(p)) != null) {
                    top.put(global.get(p), setting((g, s) -> value(global.get(pp), x[atGlobal(g, s, pp)]), true));
                }
            }
        } else {
            inputs = new ModelsOrSlices.Slices(discreteSlices(x, ms), 0);
        }
        Optional<ModelRef> base = spec.baseModel().map(MergeGenome::ref);
        Optional<TokenizerSource> tokenizer = spec.tokenizerSource().map(MergeGenome::tokenizerSource);
        Recipe built = new Recipe("candidate", "", new Located<>(method, 0), base, Optional.of(inputs), new LinkedHashMap<>(),
                Parameters.of(top), Optional.of(new DTypeSetting(DType.BF16, "bfloat16", 0)), Optional.empty(),
                tokenizer, Optional.empty(), Optional.empty(), Optional.empty());
        return Recipe.parse(built.toYaml(), "candidate.yml");
    }

    static TokenizerSource tokenizerSource(String s) {
        return s.equals("base") ? new TokenizerSource.Base(0) : new TokenizerSource.Model(ref(s));
    }

    static ModelRef ref(String raw) {
        return new ModelRef(raw, 0);
    }

    private interface Gene {
        double at(int group, int set);
    }

    /**
     * One parameter's setting: a single group's value (discrete slices, {@code group} fixed by the caller) or the
     * per-group gradient (smooth; a one-element list is written as a scalar, as mergekit's
     * {@code _unpack_single_element}); with filters, a list of {filter, value} entries ending in the catch-all.
     */
    private ParamValue setting(Gene gene, boolean gradient) {
        List<ParamValue.FilterEntry> entries = new ArrayList<>();
        for (int s = 0; s < sets; s++) {
            ParamValue.Plain v;
            if (gradient && groups > 1) {
                List<ParamValue.Scalar> items = new ArrayList<>();
                for (int g = 0; g < groups; g++) {
                    items.add(num(gene.at(g, s)));
                }
                v = new ParamValue.Gradient(items, 0);
            } else {
                v = num(gene.at(0, s));
            }
            if (sets == 1) {
                return v;
            }
            Optional<String> filter = s < spec.filters().size() ? Optional.of(spec.filters().get(s)) : Optional.empty();
            entries.add(new ParamValue.FilterEntry(filter, v, 0));
        }
        return new ParamValue.FilterList(entries, 0);
    }

    private static ParamValue.Scalar num(double v) {
        return new ParamValue.Scalar(Literal.Num.of(v), 0);
    }

    private int layerStep() {
        return spec.layerGranularity() > 0 ? spec.layerGranularity() : numLayers;
    }

    private LayerRange range(int group) {
        return new LayerRange(group * layerStep(), (group + 1) * layerStep(), 0);
    }

    private List<OutputSlice> discreteSlices(double[] x, MethodSpec ms) {
        List<OutputSlice> slices = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int gg = g;
            List<InputSlice> sources = new ArrayList<>();
            for (int m = 0; m < models(); m++) {
                Map<String, ParamValue> ps = new LinkedHashMap<>();
                for (int p = 0; p < perModel.size(); p++) {
                    if (ms.param(perModel.get(p)) != null) {
                        int mm = m;
                        int pp = p;
                        ps.put(perModel.get(p), setting((unused, s) -> value(perModel.get(pp), x[at(gg, mm, s, pp)]), false));
                    }
                }
                sources.add(new InputSlice(ref(spec.models().get(m)), range(g), Parameters.of(ps), 0));
            }
            spec.baseModel().filter(b -> !spec.models().contains(b))
                    .ifPresent(b -> sources.add(new InputSlice(ref(b), range(gg), Parameters.NONE, 0)));
            Map<String, ParamValue> sliceParams = new LinkedHashMap<>();
            for (int p = 0; p < global.size(); p++) {
                if (ms.param(global.get(p)) != null) {
                    int pp = p;
                    sliceParams.put(global.get(p), setting((unused, s) -> value(global.get(pp), x[atGlobal(gg, s, pp)]), false));
                }
            }
            slices.add(new OutputSlice(sources, Optional.empty(), Optional.empty(), Parameters.of(sliceParams), 0));
        }
        return slices;
    }

    /**
     * mergekit's {@code _slerp_slices}: per group, the two models with the highest first gene (torch.topk; on a tie
     * the lower index first, a choice torch leaves open), t = softmax of those two genes' second entry, the first
     * as the slice's base; with a tokenizer source the two sources also carry weights 1 - t and t.
     */
    private List<OutputSlice> slerpSlices(double[] x) {
        List<OutputSlice> slices = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int first = -1;
            int second = -1;
            for (int m = 0; m < models(); m++) {
                double v = x[at(g, m, 0, 0)];
                if (first < 0 || v > x[at(g, first, 0, 0)]) {
                    second = first;
                    first = m;
                } else if (second < 0 || v > x[at(g, second, 0, 0)]) {
                    second = m;
                }
            }
            double v0 = x[at(g, first, 0, 0)];
            double v1 = x[at(g, second, 0, 0)];
            double e1 = Math.exp(v1 - v0); // softmax([v0, v1])[1], shifted by the maximum as torch does
            double t = e1 / (1.0 + e1);
            List<InputSlice> sources = new ArrayList<>();
            boolean weighted = spec.tokenizerSource().isPresent();
            sources.add(new InputSlice(ref(spec.models().get(first)), range(g),
                    weighted ? Parameters.of(Map.of("weight", num(1 - t))) : Parameters.NONE, 0));
            sources.add(new InputSlice(ref(spec.models().get(second)), range(g),
                    weighted ? Parameters.of(Map.of("weight", num(t))) : Parameters.NONE, 0));
            int gg = g;
            spec.baseModel().filter(b -> !spec.models().contains(b))
                    .ifPresent(b -> sources.add(new InputSlice(ref(b), range(gg), Parameters.NONE, 0)));
            slices.add(new OutputSlice(sources, Optional.of(ref(spec.models().get(first))), Optional.empty(),
                    Parameters.of(Map.of("t", num(t))), 0));
        }
        return slices;
    }
}
