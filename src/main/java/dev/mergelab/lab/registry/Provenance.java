package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.PlannedInput;
import dev.mergelab.engine.TensorJob;
import dev.mergelab.format.WeightFile;
import dev.mergelab.lora.LoraExtract;
import dev.mergelab.lora.LoraMergeRecipe;
import dev.mergelab.model.ModelSource;
import dev.mergelab.recipe.Recipe;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Builds the {@link RunRecord} of each recording command from what the command already holds (plan, recipe, paths). */
public final class Provenance {

    static final ObjectMapper JSON = new ObjectMapper();

    private Provenance() {
    }

    /**
     * A merge ({@code merge}): every recipe parent is a merge parent with its resolved per-model parameters; a
     * {@code BASE+ADAPTER} parent contributes its base (merge) and its adapter (adapter).
     */
    public static RunRecord merge(Recipe recipe, MergePlan plan, Path output, double seconds, long seed) {
        ObjectNode params = summarise(globalParams(plan), plan.jobs().size());
        params.put("random_seed", seed);
        return new RunRecord(output, "merge", plan.method(), recipe.toYaml(), recipe.canonicalSha256(), params,
                parents(plan, Relation.MERGE), started(seconds), seconds);
    }

    /**
     * A child merged in memory and evaluated ({@code soup}, {@code search}): the parents as a merge records them,
     * each identified through {@code identify} (which a caller evaluating many children caches, so a parent is hashed
     * once), and the facts a folder would show (size, main dtype, architecture) from the plan.
     */
    public static VirtualRecord virtual(String command, Recipe recipe, MergePlan plan, long seed, double seconds,
                                        java.util.function.Function<Path, ModelIdentity> identify) {
        ObjectNode params = summarise(globalParams(plan), plan.jobs().size());
        params.put("random_seed", seed);
        List<VirtualRecord.Parent> parents = new ArrayList<>();
        for (RunRecord.Parent p : parents(plan, Relation.MERGE)) {
            parents.add(new VirtualRecord.Parent(identify.apply(p.path()), p.relation(), p.method(), p.parameters(), p.isBase()));
        }
        Map<dev.mergelab.tensor.DType, Long> counts = new java.util.EnumMap<>(dev.mergelab.tensor.DType.class);
        for (TensorJob j : plan.jobs()) {
            if (j.outDtype().isFloating()) {
                counts.merge(j.outDtype(), j.outNumel(), Long::sum);
            }
        }
        String dtype = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().safetensorsName()).orElse(null);
        String architecture = null;
        if (java.nio.file.Files.isRegularFile(plan.configSource().folder().resolve("config.json"))) {
            dev.mergelab.model.ModelConfig cfg = dev.mergelab.model.ModelConfig.readFolder(plan.configSource().folder());
            architecture = cfg.architectures().isEmpty() ? cfg.modelType().orElse(null) : cfg.architectures().getFirst();
        }
        return new VirtualRecord(command, plan.method(), recipe.toYaml(), params, seed, parents, plan.outputBytes(), dtype, architecture,
                started(seconds), seconds);
    }

    /** {@code lora apply}: the output is its base fine-tuned through the adapter. */
    public static RunRecord loraApply(Recipe recipe, MergePlan plan, Path output, double seconds) {
        return new RunRecord(output, "lora apply", "lora_apply", recipe.toYaml(), recipe.canonicalSha256(), null,
                parents(plan, Relation.FINETUNE), started(seconds), seconds);
    }

    /** {@code lora merge}: the output is an adapter of the base, merged from the recipe's adapters (weight per adapter). */
    public static RunRecord loraMerge(LoraMergeRecipe recipe, Path base, List<Path> adapters, Path output, double seconds) {
        List<RunRecord.Parent> parents = new ArrayList<>();
        parents.add(new RunRecord.Parent(base, Relation.ADAPTER, null, null, true));
        String method = recipe.type().peftName();
        for (int i = 0; i < adapters.size(); i++) {
            ObjectNode p = JSON.createObjectNode().put("weight", recipe.adapters().get(i).weight());
            parents.add(new RunRecord.Parent(adapters.get(i), Relation.MERGE, method, p, false));
        }
        ObjectNode params = JSON.createObjectNode();
        putIfSet(params, "density", recipe.density());
        putIfSet(params, "majority_sign_method", recipe.majoritySignMethod());
        putIfSet(params, "svd_rank", recipe.svdRank());
        putIfSet(params, "svd_clamp", recipe.svdClamp());
        params.put("random_seed", recipe.seed());
        return new RunRecord(output, "lora merge", method, recipe.text(), dev.mergelab.engine.FileHashes.sha256(
                recipe.text().getBytes(java.nio.charset.StandardCharsets.UTF_8)), params, parents, started(seconds), seconds);
    }

    /**
     * {@code lora extract}: the output is an adapter of the base that reproduces the fine-tune; the command line is
     * its recipe, and the options that decide the adapter's content (not threads or memory) its parameters.
     */
    public static RunRecord loraExtract(Path base, Path finetune, Path output, String commandLine, LoraExtract.Options o, double seconds) {
        List<RunRecord.Parent> parents = List.of(new RunRecord.Parent(base, Relation.ADAPTER, null, null, true),
                new RunRecord.Parent(finetune, Relation.FINETUNE, null, null, false));
        ObjectNode p = JSON.createObjectNode().put("rank", o.maxRank()).put("sv_epsilon", o.svEpsilon());
        p.set("include_regex", JSON.valueToTree(o.include().stream().map(Pattern::pattern).toList()));
        p.set("exclude_regex", JSON.valueToTree(o.exclude().stream().map(Pattern::pattern).toList()));
        p.put("embed_lora", o.embedLora());
        p.set("save_module", JSON.valueToTree(o.saveModules()));
        p.put("skip_undecomposable", o.skipUndecomposable()).put("distribute_scale", o.distributeScale())
                .put("oversample", o.oversample()).put("power_iters", o.powerIterations())
                .put("dtype", o.outDtype() == null ? null : o.outDtype().torchName()).put("seed", o.seed());
        return new RunRecord(output, "lora extract", "lora_extract", commandLine, null, p, parents, started(seconds), seconds);
    }

    /**
     * {@code export gguf}: the GGUF file is the model in llama.cpp's format and (but for f32) quantized, which the Hub
     * calls a {@code quantized} relation; the type is its parameter.
     */
    public static RunRecord export(Path model, Path output, String type, String commandLine, double seconds) {
        List<RunRecord.Parent> parents = List.of(new RunRecord.Parent(model, Relation.QUANTIZED, null, null, false));
        ObjectNode p = JSON.createObjectNode().put("format", "gguf").put("type", type);
        return new RunRecord(output, "export gguf", null, commandLine, null, p, parents, started(seconds), seconds);
    }

    private static void putIfSet(ObjectNode o, String key, Object value) {
        if (value != null) {
            o.set(key, JSON.valueToTree(value));
        }
    }

    private static Instant started(double seconds) {
        return Instant.now().minusMillis(Math.round(seconds * 1000));
    }

    /** One parent per recipe model, in recipe order; merge edges carry the method and that model's parameters. */
    private static List<RunRecord.Parent> parents(MergePlan plan, String weightsRelation) {
        List<RunRecord.Parent> parents = new ArrayList<>();
        for (ModelSource m : plan.models()) {
            String ref = m.displayName();
            boolean isBase = false;
            int jobs = 0;
            Map<String, Map<String, Object>> values = new LinkedHashMap<>();
            for (TensorJob j : plan.jobs()) {
                for (PlannedInput in : j.inputs()) {
                    if (in.model().equals(ref)) {
                        jobs++;
                        isBase |= in.isBase();
                        in.params().forEach((k, v) -> values.computeIfAbsent(k, x -> new LinkedHashMap<>()).put(j.outputName(), v));
                    }
                }
            }
            boolean merge = weightsRelation.equals(Relation.MERGE);
            parents.add(new RunRecord.Parent(m.root(), weightsRelation, merge ? plan.method() : null,
                    merge ? summarise(values, jobs) : null, isBase));
            for (Path adapter : adapterFolders(m)) {
                parents.add(new RunRecord.Parent(adapter, Relation.ADAPTER, null, null, false));
            }
        }
        return parents;
    }

    /** The folders of a {@code BASE+ADAPTER} model's adapter files: its files that are not the base's. */
    private static Set<Path> adapterFolders(ModelSource m) {
        Set<Path> out = new LinkedHashSet<>();
        Path root = m.root().toAbsolutePath().normalize();
        for (WeightFile f : m.files()) {
            Path p = f.path().toAbsolutePath().normalize();
            if (!p.equals(root) && !p.startsWith(root)) {
                out.add(p.getParent());
            }
        }
        return out;
    }

    private static Map<String, Map<String, Object>> globalParams(MergePlan plan) {
        Map<String, Map<String, Object>> values = new LinkedHashMap<>();
        for (TensorJob j : plan.jobs()) {
            j.globalParams().forEach((k, v) -> values.computeIfAbsent(k, x -> new LinkedHashMap<>()).put(j.outputName(), v));
        }
        return values;
    }

    /**
     * Parameters as JSON: a value that is the same for every tensor ({@code count} of them) is that value; one that
     * varies (a gradient over layers, a filter) is an object, keys sorted by name, from tensors to value, where consecutive output tensors
     * (in plan order) with the same value share one key {@code FIRST..LAST}, so a gradient takes one entry per layer.
     */
    static ObjectNode summarise(Map<String, Map<String, Object>> values, int count) {
        ObjectNode o = JSON.createObjectNode();
        // by name: the planner's parameter maps have no stable order
        for (Map.Entry<String, Map<String, Object>> e : new java.util.TreeMap<>(values).entrySet()) {
            Map<String, Object> perTensor = e.getValue();
            Set<JsonNode> distinct = new LinkedHashSet<>();
            for (Object v : perTensor.values()) {
                distinct.add(JSON.valueToTree(v));
            }
            if (distinct.size() == 1 && perTensor.size() == count) {
                o.set(e.getKey(), distinct.iterator().next());
            } else {
                o.set(e.getKey(), runs(perTensor));
            }
        }
        return o;
    }

    private static ObjectNode runs(Map<String, Object> perTensor) {
        ObjectNode o = JSON.createObjectNode();
        String first = null;
        String last = null;
        JsonNode value = null;
        for (Map.Entry<String, Object> t : perTensor.entrySet()) {
            JsonNode v = JSON.valueToTree(t.getValue());
            if (value != null && !v.equals(value)) {
                o.set(first.equals(last) ? first : first + ".." + last, value);
                first = null;
            }
            if (first == null) {
                first = t.getKey();
                value = v;
            }
            last = t.getKey();
        }
        if (first != null) {
            o.set(first.equals(last) ? first : first + ".." + last, value);
        }
        return o;
    }
}
