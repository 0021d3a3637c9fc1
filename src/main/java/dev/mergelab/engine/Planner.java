package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.ChunkedMethod;
import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.MethodSpec;
import dev.mergelab.method.ParamSpec;
import dev.mergelab.method.Params;
import dev.mergelab.method.TensorInput;
import dev.mergelab.method.TensorMerge;
import dev.mergelab.model.Architecture;
import dev.mergelab.model.Architectures;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.Section;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightInfo;
import dev.mergelab.recipe.LayerRange;
import dev.mergelab.recipe.Literal;
import dev.mergelab.recipe.ModuleLayout;
import dev.mergelab.recipe.ParameterResolver;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.recipe.RecipeChecks;
import dev.mergelab.recipe.Resolved;
import dev.mergelab.method.Scope;
import dev.mergelab.recipe.Site;
import dev.mergelab.recipe.SliceLayout;
import dev.mergelab.recipe.SliceSource;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns a recipe and its opened parents into a {@link MergePlan}: for every output tensor, its inputs,
 * the resolved parameters and the output dtype and shape. All validation that can happen before any
 * tensor byte is read happens here: unknown method or parameter, missing base, layer ranges outside a
 * model, a parent missing a tensor, shape mismatches, missing required parameters.
 */
public final class Planner {

    private final Recipe recipe;
    private final MergeMethod method;
    private final ParameterResolver resolver;
    private final Map<String, ModelSource> models;
    private final Map<String, Architecture> archs = new LinkedHashMap<>();
    private final Map<String, ModelConfig> configs = new LinkedHashMap<>();
    private final Consumer<String> warnings;
    private final List<TensorJob> jobs = new ArrayList<>();
    private final Set<String> outputNames = new LinkedHashSet<>();
    /** The tokenizer source's vocabulary rows when the recipe names one (embeddings follow it), else -1. */
    private long vocabTarget = -1;
    private String vocabSource;

    private Planner(Recipe recipe, MergeMethod method, Map<String, ModelSource> models, Consumer<String> warnings) {
        this.recipe = recipe;
        this.method = method;
        this.resolver = new ParameterResolver(recipe);
        this.models = models;
        this.warnings = warnings;
    }

    /** The method a recipe names, or a one-line error with the closest known name. */
    public static MergeMethod methodOf(Recipe recipe) {
        String name = recipe.mergeMethod().value();
        MergeMethod m = MethodRegistry.get(name);
        if (m == null) {
            String close = MethodRegistry.closest(name);
            throw MergeLabException.input(recipe.where(recipe.mergeMethod().line()) + ": unknown merge_method '" + name + "'",
                    close != null ? "did you mean '" + close + "'? (./mergelab methods lists them)" : "./mergelab methods lists them");
        }
        return m;
    }

    /**
     * Plans {@code recipe}, opening each parent once through {@code opener} (which owns them: the caller
     * closes them, on failure too).
     */
    public static MergePlan plan(Recipe recipe, ModelOpener opener, Consumer<String> warnings) {
        MergeMethod method = methodOf(recipe);
        MethodSpec spec = method.spec();
        Set<String> globalNames = new java.util.TreeSet<>();
        Set<String> perModelNames = new java.util.TreeSet<>();
        for (ParamSpec p : spec.params()) {
            (p.scope() == Scope.GLOBAL ? globalNames : perModelNames).add(p.name());
        }
        RecipeChecks.validateParameterNames(recipe, globalNames, perModelNames).forEach(warnings);
        if (spec.base() == dev.mergelab.method.BaseRequirement.REQUIRED) {
            RecipeChecks.requireBaseModel(recipe);
        }
        RecipeChecks.notApplied(recipe).forEach(warnings);
        List<String> refs = recipe.layout().modelRefs();
        Map<String, ModelSource> models = new LinkedHashMap<>();
        for (String ref : refs) {
            ModelSource m;
            try {
                m = opener.open(ref);
            } catch (MergeLabException e) {
                // Say which recipe line names the model: a typo there reads as a hub id missing from the cache.
                throw new MergeLabException(e.kind(), recipe.where(recipe.layout().lineOf(ref, recipe.baseModel())) + ": "
                        + e.getMessage(), e.hint(), e);
            }
            models.put(ref, m);
        }
        Planner p = new Planner(recipe, method, models, warnings);
        return p.build();
    }

    private MergePlan build() {
        boolean flat = models.values().stream().allMatch(ModelSource::isSingleFile);
        String refModel = recipe.baseModel().map(b -> b.raw()).orElse(resolver.layout().modelRefs().getFirst());
        ModelSource reference = models.get(refModel);
        for (Map.Entry<String, ModelSource> e : models.entrySet()) {
            ModelConfig cfg = flat ? null : readConfig(e.getValue());
            configs.put(e.getKey(), cfg);
            archs.put(e.getKey(), cfg == null
                    ? dev.mergelab.model.InferredLayout.infer(e.getValue().tensors().keySet(), "no config.json")
                    : Architectures.builtIn().forModel(cfg, e.getValue().tensors().keySet()));
        }
        ModelSource tokenizer = tokenizerSource(reference);
        if (recipe.effectiveTokenizerSource().isPresent()) {
            // As in mergekit, a named tokenizer source fixes the output vocabulary: every parent's
            // embeddings are brought to its size (VocabularyRows). We count it in embedding rows.
            String tokRef = models.entrySet().stream().filter(e -> e.getValue() == tokenizer).findFirst().orElseThrow().getKey();
            for (Map.Entry<String, TensorRef> e : tokenizer.tensors().entrySet()) {
                WeightInfo w = classify(tokRef, e.getKey());
                if (w.isEmbed() && w.section() == Section.PRE && e.getValue().shape().length == 2) {
                    vocabTarget = e.getValue().shape()[0];
                    vocabSource = tokRef;
                    break;
                }
            }
        }
        int outLayers = 0;
        for (ModuleLayout module : resolver.layout().modules()) {
            outLayers += planModule(module, refModel);
        }
        warnUnread();
        long vocab = -1;
        for (TensorJob j : jobs) {
            WeightInfo w = archs.get(refModel).classify(j.outputName()).orElse(null);
            if (w != null && w.isEmbed() && w.section() == Section.PRE && j.outShape().length == 2) {
                vocab = j.outShape()[0];
            }
        }
        List<ModelSource> parents = List.copyOf(models.values());
        return new MergePlan(method.spec().name(), List.copyOf(jobs), parents, reference, tokenizer,
                outLayers, vocab, flat, ChatTemplates.resolve(recipe, parents, tokenizer, flat, warnings));
    }

    /**
     * The output's tensor list comes from each slice's reference model, so a tensor only another parent
     * has (a bias, an extra head) would be dropped without a word. Warn about those: names outside the
     * layers the output lacks, and layer tensors of layers the plan reads from that parent that no job reads.
     */
    private void warnUnread() {
        Map<String, Set<String>> read = new LinkedHashMap<>();
        Map<String, Set<Integer>> layersRead = new LinkedHashMap<>();
        for (TensorJob j : jobs) {
            for (PlannedInput in : j.inputs()) {
                read.computeIfAbsent(in.model(), k -> new java.util.HashSet<>()).add(in.ref().name());
                archs.get(in.model()).classify(in.ref().name()).filter(w -> w.section() == Section.LAYER)
                        .ifPresent(w -> layersRead.computeIfAbsent(in.model(), k -> new java.util.HashSet<>()).add(w.layerIndex()));
            }
        }
        for (Map.Entry<String, ModelSource> e : models.entrySet()) {
            String ref = e.getKey();
            List<String> unread = new ArrayList<>();
            for (String name : e.getValue().tensors().keySet()) {
                if (read.getOrDefault(ref, Set.of()).contains(name)) {
                    continue;
                }
                WeightInfo w = classify(ref, name);
                boolean layerInUse = w.section() == Section.LAYER && layersRead.getOrDefault(ref, Set.of()).contains(w.layerIndex());
                // Outside the layers a parent's tensor may be unread because another slice provides it
                // (stacking); it is only lost when the output has no tensor of that name at all.
                if (w.section() == Section.LAYER ? layerInUse : !outputNames.contains(name)) {
                    unread.add(name);
                }
            }
            if (!unread.isEmpty()) {
                warnings.accept(ref + " has " + unread.size() + " tensor(s) the output does not include, e.g. " + unread.getFirst()
                        + " (the output's tensor names come from " + (recipe.baseModel().isPresent() ? "the base model" : "the first model")
                        + ", which lacks them)");
            }
        }
    }

    private ModelConfig readConfig(ModelSource m) {
        if (Files.isRegularFile(m.folder().resolve("config.json"))) {
            return ModelConfig.readFolder(m.folder());
        }
        return null;
    }

    private ModelSource tokenizerSource(ModelSource reference) {
        Optional<dev.mergelab.recipe.TokenizerSource> ts = recipe.effectiveTokenizerSource();
        if (ts.isEmpty() || ts.get() instanceof dev.mergelab.recipe.TokenizerSource.Base) {
            return reference;
        }
        String ref = ((dev.mergelab.recipe.TokenizerSource.Model) ts.get()).model().raw();
        ModelSource m = models.get(ref);
        if (m == null) {
            throw MergeLabException.input(recipe.where(ts.get().line()) + ": tokenizer_source '" + ref
                    + "' is not one of the recipe's models", "use 'base' or one of the models being merged");
        }
        return m;
    }

    /** Plans one module; returns its output layer count. */
    private int planModule(ModuleLayout module, String refModel) {
        List<SliceLayout> slices = module.slices();
        int outLayer = 0;
        int totalLayers = 0;
        List<int[]> sliceRanges = new ArrayList<>();
        for (SliceLayout s : slices) {
            int n = sliceLayerCount(s);
            sliceRanges.add(new int[] {outLayer, n});
            outLayer += n;
        }
        totalLayers = outLayer;
        // Pre-weights come from the first slice, layers from each slice in order, post-weights from the last.
        SliceLayout first = slices.getFirst();
        SliceLayout last = slices.getLast();
        String firstRef = sliceReference(first, refModel);
        planNonLayer(module, first, firstRef, Section.PRE, module.preWeightSite());
        for (int si = 0; si < slices.size(); si++) {
            SliceLayout s = slices.get(si);
            String sref = sliceReference(s, refModel);
            int n = sliceRanges.get(si)[1];
            int outStart = sliceRanges.get(si)[0];
            for (int j = 0; j < n; j++) {
                Site site = module.layerSite(si, j, n);
                int refLayer = sourceStart(s, sref) + j;
                for (Map.Entry<String, TensorRef> e : models.get(sref).tensors().entrySet()) {
                    WeightInfo w = classify(sref, e.getKey());
                    if (w.section() != Section.LAYER || w.layerIndex() != refLayer) {
                        continue;
                    }
                    String outName = archs.get(sref).renameToLayer(e.getKey(), outStart + j);
                    List<Source> inputs = new ArrayList<>();
                    for (SliceSource src : s.sources()) {
                        String r = src.model().raw();
                        int srcLayer = sourceStart(s, r) + j;
                        String inName = archs.get(r).renameToLayer(e.getKey(), srcLayer);
                        inputs.add(new Source(src, inName));
                    }
                    addJob(outName, w, inputs, s, site);
                }
            }
        }
        planNonLayer(module, last, sliceReference(last, refModel), Section.POST, module.postWeightSite());
        return totalLayers;
    }

    /** One slice source of an output tensor: the model and the tensor name to read from it. */
    private record Source(SliceSource source, String tensorName) {
    }

    private void planNonLayer(ModuleLayout module, SliceLayout slice, String sref, Section section, Site site) {
        for (String name : models.get(sref).tensors().keySet()) {
            WeightInfo w = classify(sref, name);
            if (w.section() != section) {
                continue;
            }
            List<Source> inputs = new ArrayList<>();
            for (SliceSource src : slice.sources()) {
                inputs.add(new Source(src, name));
            }
            addJob(name, w, inputs, slice, site);
        }
    }

    private WeightInfo classify(String ref, String name) {
        return archs.get(ref).classify(name)
                .orElse(new WeightInfo(name, Section.PRE, -1, -1, false, false, List.of(), name));
    }

    /** The model whose tensor list drives a slice: its base when it is a source, else its first source. */
    private String sliceReference(SliceLayout s, String refModel) {
        for (SliceSource src : s.sources()) {
            if (s.isBase(src.model().raw())) {
                return src.model().raw();
            }
        }
        for (SliceSource src : s.sources()) {
            if (src.model().raw().equals(refModel)) {
                return refModel;
            }
        }
        return s.sources().getFirst().model().raw();
    }

    private int sliceLayerCount(SliceLayout s) {
        Integer n = null;
        for (SliceSource src : s.sources()) {
            String r = src.model().raw();
            int layers = layerCount(r);
            int count;
            if (src.layerRange().isPresent()) {
                LayerRange lr = src.layerRange().get();
                if (lr.end() > layers) {
                    throw MergeLabException.input(recipe.where(lr.line()) + ": layer_range [" + lr.start() + ", " + lr.end()
                            + "] is outside " + r + ", which has " + layers + " layers",
                            "use an end of at most " + layers);
                }
                count = lr.count();
            } else {
                count = layers;
            }
            if (n != null && n != count) {
                throw MergeLabException.input(recipe.where(s.line()) + ": the sources of this slice span different numbers of layers ("
                        + n + " and " + count + " in " + r + ")", "give every source of a slice a layer_range of the same length");
            }
            n = count;
        }
        return n == null ? 0 : n;
    }

    private int sourceStart(SliceLayout s, String ref) {
        for (SliceSource src : s.sources()) {
            if (src.model().raw().equals(ref)) {
                return src.layerRange().map(LayerRange::start).orElse(0);
            }
        }
        return 0;
    }

    private int layerCount(String ref) {
        ModelConfig cfg = configs.get(ref);
        Architecture a = archs.get(ref);
        if (cfg != null && !a.isInferred()) {
            return a.layerCount(cfg);
        }
        return a.inferredLayerCount();
    }

    private void addJob(String outName, WeightInfo w, List<Source> sources, SliceLayout slice, Site site) {
        if (!outputNames.add(outName)) {
            throw MergeLabException.input(recipe.where(slice.line()) + ": output tensor " + outName + " would be written twice",
                    "check the slices' layer ranges");
        }
        MethodSpec spec = method.spec();
        List<PlannedInput> inputs = new ArrayList<>();
        Set<String> seenModels = new LinkedHashSet<>();
        for (Source s : sources) {
            String ref = s.source().model().raw();
            if (!seenModels.add(ref)) {
                continue; // a model listed twice in one slice takes part once, as upstream
            }
            TensorRef t = findTensor(ref, s.tensorName(), w, s.source().model().line());
            if (t == null) {
                continue;
            }
            Map<String, Object> params = new LinkedHashMap<>();
            for (ParamSpec p : spec.params()) {
                if (p.scope() == Scope.PER_MODEL) {
                    resolver.perModel(p.name(), ref, s.tensorName(), site).ifPresent(r -> params.put(p.name(), value(r)));
                }
            }
            inputs.add(new PlannedInput(ref, t, slice.isBase(ref), params));
        }
        Map<String, Object> global = new LinkedHashMap<>();
        for (ParamSpec p : spec.params()) {
            if (p.scope() == Scope.GLOBAL) {
                resolver.global(p.name(), outName, site).ifPresent(r -> global.put(p.name(), value(r)));
            }
        }
        TensorJob job = makeJob(outName, w, inputs, global);
        jobs.add(job);
    }

    private TensorRef findTensor(String ref, String name, WeightInfo w, int line) {
        ModelSource m = models.get(ref);
        TensorRef t = m.tensor(name);
        if (t != null) {
            return t;
        }
        for (String alias : w.tiedNames()) {
            TensorRef a = m.tensor(alias);
            if (a != null) {
                warnings.accept(ref + " has no " + name + "; using its tied " + alias + " instead");
                return a;
            }
        }
        if (w.optional()) {
            warnings.accept(ref + " has no " + name + " (optional); merging it from the other models");
            return null;
        }
        throw MergeLabException.input(recipe.where(line) + ": model " + ref + " has no tensor " + name,
                "all parents must share the tensor schema; run ./mergelab compat on them");
    }

    private static Object value(Resolved r) {
        return switch (r.value()) {
            case Literal.Num n -> n.integral() ? (Object) (long) n.value() : (Object) n.value();
            case Literal.Bool b -> b.value();
            case Literal.Text t -> t.value();
        };
    }

    private TensorJob makeJob(String outName, WeightInfo w, List<PlannedInput> inputs, Map<String, Object> global) {
        MethodSpec spec = method.spec();
        if (inputs.isEmpty()) {
            throw MergeLabException.input("no model provides tensor " + outName, "check the recipe's models");
        }
        PlannedInput first = inputs.stream().filter(PlannedInput::isBase).findFirst().orElse(inputs.getFirst());
        DType srcType = first.ref().dtype();
        DType outType = recipe.outDtype().or(recipe::dtype).map(d -> d.dtype()).orElse(srcType);
        if (!srcType.isFloating() && first.ref().isVerbatim()) {
            // Integer buffers (position ids, masks) are never mixed: copy the base's.
            return new TensorJob(outName, "copy", List.of(first), Map.of(), first.ref().shape(), srcType, w.isEmbed(), -1, true);
        }
        boolean shapesDiffer = checkShapes(outName, w, inputs);
        long vocabRows = -1;
        if (w.isEmbed() && vocabTarget >= 0 && first.ref().shape().length == 2) {
            vocabRows = vocabTarget;
        }
        // Validate parameters now so a bad value fails before any work starts.
        List<TensorInput> shapes = new ArrayList<>();
        for (PlannedInput in : inputs) {
            long[] shape = in.ref().shape();
            if (vocabRows >= 0 && shape.length == 2) {
                shape = new long[] {vocabRows, shape[1]};
            }
            shapes.add(new TensorInput(in.model(), null, shape, in.isBase(),
                    Params.forModel(spec, in.params(), in.model(), in.ref().name())));
        }
        TensorMerge probe = new TensorMerge(outName, w.isEmbed(), shapes, Params.global(spec, global, outName), 0L, warnings);
        method.checkParams(probe);
        if (method instanceof ChunkedMethod c) {
            // Every other check the merge makes before touching data (weights summing to zero with
            // normalize, a density that keeps nothing, input counts), so --dry-run fails where the merge would.
            c.plan(probe);
        }
        long[] outShape = method.outputShape(probe);
        boolean resized = vocabRows >= 0 && inputs.stream().anyMatch(in -> in.ref().shape()[0] != vocabTarget);
        if (shapesDiffer || resized) {
            warnVocabulary(outName, inputs, outShape, vocabRows);
        }
        // A patched input (base + LoRA) has no stored bytes to copy: it must be decoded and patched.
        boolean copy = spec.identity() && inputs.size() == 1 && inputs.getFirst().ref().isVerbatim()
                && global.isEmpty() && inputs.getFirst().params().isEmpty() && outType == srcType && vocabRows < 0;
        return new TensorJob(outName, spec.name(), inputs, global, outShape, outType, w.isEmbed(), vocabRows, copy);
    }

    /**
     * Parents must agree on every tensor's shape, except embeddings (is_embed), whose vocabulary rows may
     * differ; any other mismatch is an error naming the tensor and both models. Returns whether the
     * shapes differ (then only for embeddings).
     */
    private boolean checkShapes(String outName, WeightInfo w, List<PlannedInput> inputs) {
        PlannedInput a = inputs.getFirst();
        boolean differ = false;
        for (PlannedInput b : inputs) {
            long[] sa = a.ref().shape();
            long[] sb = b.ref().shape();
            if (java.util.Arrays.equals(sa, sb)) {
                continue;
            }
            boolean vocabOnly = w.isEmbed() && sa.length == 2 && sb.length == 2 && sa[1] == sb[1];
            if (!vocabOnly) {
                throw MergeLabException.input("tensor " + outName + " has shape " + java.util.Arrays.toString(sa) + " in " + a.model()
                        + " but " + java.util.Arrays.toString(sb) + " in " + b.model(),
                        "the parents are different architectures or sizes; run ./mergelab compat on them");
            }
            differ = true;
        }
        return differ;
    }

    /** Parents' vocabularies differ: say what the output keeps (mergekit only logs this). */
    private void warnVocabulary(String outName, List<PlannedInput> inputs, long[] outShape, long vocabRows) {
        StringBuilder sb = new StringBuilder(outName).append(": the parents' vocabularies differ (");
        for (int i = 0; i < inputs.size(); i++) {
            sb.append(i > 0 ? ", " : "").append(java.util.Arrays.toString(inputs.get(i).ref().shape())).append(" in ")
                    .append(inputs.get(i).model());
        }
        sb.append("); ");
        if (vocabRows >= 0) {
            sb.append("the output follows the tokenizer source ").append(vocabSource).append(" with ").append(vocabRows)
                    .append(" rows; a row a parent lacks takes the embedding of the parents that have it (the only one, else the base,"
                            + " else their mean), assuming shared token ids mean the same token");
        } else {
            sb.append("merging the top-left ").append(java.util.Arrays.toString(outShape))
                    .append(" block, as mergekit does (name a tokenizer_source to keep a parent's extra tokens)");
        }
        warnings.accept(sb.toString());
    }
}
