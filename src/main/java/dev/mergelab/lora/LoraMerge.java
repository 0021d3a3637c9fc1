package dev.mergelab.lora;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.Params;
import dev.mergelab.method.TensorInput;
import dev.mergelab.method.TensorMerge;
import dev.mergelab.model.ModelSource;
import dev.mergelab.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Combines several LoRA adapters of one base into one adapter with the semantics of PEFT's
 * {@code LoraModel.add_weighted_adapter} (huggingface/peft {@code tuners/lora/model.py}):
 * <ul>
 *   <li>one adapter: always {@code linear}, as PEFT forces;</li>
 *   <li>{@code linear, ties, dare_linear, dare_ties, magnitude_prune}: all adapters share r; the PEFT
 *       merge function (METHODS.md §3, MergeLab's {@code peft_*} methods, reused here on a zero base) runs
 *       separately on the A factors with weights sign(w·s)·√|w·s| and on the B factors with √|w·s|,
 *       where s is the adapter's scale for that module;</li>
 *   <li>{@code cat}: A = [w_1 s_1 A_1; w_2 s_2 A_2; ...] and B = [B_1 B_2 ...] along the rank, new r = Σ r,
 *       zero-padded where a module lacks some adapter;</li>
 *   <li>{@code *svd}: ΔW_i = s_i·B_i·A_i (PEFT's delta weight, in B·A layout also for embeddings and
 *       fan_in_fan_out), the merge function with weights w_i (the scale enters once, as measured against
 *       PEFT 0.21's output in PeftParityTest), then a
 *       truncated SVD to svd_rank (default: the largest r): B = U·diag(S), A = Vh, and with svd_clamp both
 *       clamped to ±quantile(concat(B, A), svd_clamp).</li>
 * </ul>
 * The new config copies the first adapter's, with r = lora_alpha = new rank (scale 1), empty
 * rank/alpha patterns, the union of target_modules, and use_rslora = false (PEFT copies use_rslora, which
 * would rescale the merged adapter by √r on load; PEFT fixed this in PR #3449).
 */
public final class LoraMerge {

    /** The merged adapter, ready for {@link AdapterWriter}. */
    public record Result(List<AdapterWriter.OutTensor> tensors, ObjectNode config, CombinationType type, int rank, int modules) {
    }

    private record Part(double weight, AdapterConfig config, LoraModule module) {
    }

    private record Merged(String module, boolean embedding, float[] a, long[] aShape, float[] b, long[] bShape) {
    }

    private LoraMerge() {
    }

    public static Result run(LoraMergeRecipe recipe, ModelSource base, List<Adapter> adapters, int threads, Consumer<String> warnings) {
        if (adapters.size() != recipe.adapters().size()) {
            throw new IllegalArgumentException("one opened adapter per recipe entry");
        }
        CombinationType type = adapters.size() == 1 ? CombinationType.LINEAR : recipe.type();
        if (type != recipe.type()) {
            warnings.accept("one adapter: combination_type " + recipe.type().peftName() + " becomes linear, as in PEFT");
        }
        if (recipe.svdDriver() != null) {
            warnings.accept("svd_driver '" + recipe.svdDriver() + "' picks a CUDA solver in PEFT; MergeLab computes on the CPU and ignores it");
        }
        List<BoundAdapter> bound = new ArrayList<>();
        for (Adapter a : adapters) {
            BoundAdapter b = a.bind(base, warnings);
            if (!b.saved().isEmpty()) {
                throw MergeLabException.input("adapter " + a.folder() + " saves whole modules (" + b.saved().keySet().iterator().next()
                        + ", ...); add_weighted_adapter merges only LoRA factors",
                        "merge adapters without modules_to_save (extract with --embed-lora --skip-undecomposable)");
            }
            bound.add(b);
        }
        int newRank = newRank(type, recipe, adapters);
        Map<String, List<Part>> byModule = new LinkedHashMap<>();
        for (int i = 0; i < bound.size(); i++) {
            for (LoraModule m : bound.get(i).modules()) {
                byModule.computeIfAbsent(m.module(), k -> new ArrayList<>())
                        .add(new Part(recipe.adapters().get(i).weight(), adapters.get(i).config(), m));
            }
        }
        DType dtype = recipe.dtype() != null ? recipe.dtype() : bound.get(0).modules().get(0).a().dtype();
        List<Merged> merged = runAll(byModule, type, recipe, newRank, threads);
        List<AdapterWriter.OutTensor> tensors = new ArrayList<>();
        for (Merged m : merged) {
            String p = Adapter.PREFIX + m.module();
            tensors.add(AdapterWriter.OutTensor.computed(p + (m.embedding() ? ".lora_embedding_A" : ".lora_A.weight"), dtype, m.aShape(), m.a()));
            tensors.add(AdapterWriter.OutTensor.computed(p + (m.embedding() ? ".lora_embedding_B" : ".lora_B.weight"), dtype, m.bShape(), m.b()));
        }
        return new Result(tensors, config(adapters, newRank, byModule.keySet()), type, newRank, merged.size());
    }

    private static int newRank(CombinationType type, LoraMergeRecipe recipe, List<Adapter> adapters) {
        int[] ranks = adapters.stream().mapToInt(a -> a.config().r()).toArray();
        if (type == CombinationType.CAT) {
            return Arrays.stream(ranks).sum();
        }
        if (type.svd) {
            return recipe.svdRank() != null ? recipe.svdRank() : Arrays.stream(ranks).max().orElseThrow();
        }
        if (Arrays.stream(ranks).distinct().count() != 1) {
            throw MergeLabException.input("combination_type " + type.peftName() + " needs adapters of one rank; r = " + Arrays.toString(ranks),
                    "use cat or an *_svd type for adapters of different ranks");
        }
        return ranks[0];
    }

    private static List<Merged> runAll(Map<String, List<Part>> byModule, CombinationType type, LoraMergeRecipe recipe, int newRank,
            int threads) {
        ExecutorService pool = dev.mergelab.Workers.pool(Math.max(1, threads), "lora-merge");
        try {
            List<Future<Merged>> futures = new ArrayList<>();
            for (Map.Entry<String, List<Part>> e : byModule.entrySet()) {
                futures.add(pool.submit(() -> mergeModule(e.getKey(), e.getValue(), type, recipe, newRank)));
            }
            List<Merged> out = new ArrayList<>();
            for (Future<Merged> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("merge interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    static Merged mergeModule(String module, List<Part> parts, CombinationType type, LoraMergeRecipe recipe, int newRank) {
        LoraModule first = parts.get(0).module();
        int out = (int) first.deltaRows();
        int in = (int) first.deltaCols();
        boolean emb = first.embedding();
        for (Part p : parts) {
            if (p.module().embedding() != emb) {
                throw MergeLabException.input("module " + module + " is an embedding LoRA in one adapter and a linear LoRA in another",
                        "merge adapters of the same layout");
            }
        }
        if (type == CombinationType.CAT) {
            return cat(module, parts, newRank, out, in, emb);
        }
        if (type.svd) {
            return svd(module, parts, type, recipe, newRank, out, in, emb);
        }
        int n = parts.size();
        float[][] as = new float[n][];
        float[][] bs = new float[n][];
        double[] wa = new double[n];
        double[] wb = new double[n];
        for (int i = 0; i < n; i++) {
            Part p = parts.get(i);
            if (p.module().rank() != newRank) {
                throw MergeLabException.input("module " + module + " has rank " + p.module().rank() + " in one adapter but the merged adapter has r = "
                        + newRank + " (rank_pattern)", "use cat or an *_svd combination type");
            }
            double ws = p.weight() * p.module().scale();
            double root = Math.sqrt(Math.abs(ws));
            // PEFT puts the sign on A only, so a negative weight flips ΔW once instead of cancelling.
            wa[i] = ws >= 0 ? root : -root;
            wb[i] = root;
            as[i] = Factors.decode(p.module().a());
            bs[i] = Factors.decode(p.module().b());
        }
        float[] a = combine(type.peftMethod, module + ".lora_A", as, wa, new long[] {newRank, in}, recipe);
        float[] b = combine(type.peftMethod, module + ".lora_B", bs, wb, new long[] {out, newRank}, recipe);
        return new Merged(module, emb, a, new long[] {newRank, in}, b, new long[] {out, newRank});
    }

    private static Merged cat(String module, List<Part> parts, int newRank, int out, int in, boolean emb) {
        int total = parts.stream().mapToInt(p -> p.module().rank()).sum();
        if (total > newRank) {
            throw MergeLabException.input("module " + module + " has total rank " + total + " across the adapters, more than the merged r = "
                    + newRank + " (rank_pattern)", "use an *_svd combination type");
        }
        float[] a = new float[newRank * in];
        float[] b = new float[out * newRank];
        int at = 0;
        for (Part p : parts) {
            int r = p.module().rank();
            float f = (float) (p.weight() * p.module().scale());
            float[] pa = Factors.decode(p.module().a());
            float[] pb = Factors.decode(p.module().b());
            for (int i = 0; i < r * in; i++) {
                a[at * in + i] = f * pa[i];
            }
            for (int row = 0; row < out; row++) {
                System.arraycopy(pb, row * r, b, row * newRank + at, r);
            }
            at += r;
        }
        return new Merged(module, emb, a, new long[] {newRank, in}, b, new long[] {out, newRank});
    }

    private static Merged svd(String module, List<Part> parts, CombinationType type, LoraMergeRecipe recipe, int k, int out, int in,
            boolean emb) {
        if (k > Math.min(out, in)) {
            throw MergeLabException.input("svd_rank " + k + " exceeds the size of module " + module + " (" + out + "x" + in + ")",
                    "choose a smaller svd_rank");
        }
        int n = parts.size();
        float[][] deltas = new float[n][];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            Part p = parts.get(i);
            float[] d = new float[out * in];
            LowRankPatch.addTo(d, Factors.decode(p.module().a()), Factors.decode(p.module().b()), p.module().rank(), out, in, false,
                    (float) p.module().scale());
            deltas[i] = d;
            w[i] = p.weight(); // ΔW_i already carries s_i: PEFT 0.21 applies the scale once here
        }
        float[] delta = combine(type.peftMethod, module + ".delta", deltas, w, new long[] {out, in}, recipe);
        deltas = null;
        // PEFT takes an exact SVD. Pruned (ties/magnitude) deltas are full rank with a flat spectrum, where
        // 2 power iterations left a 1% gap to PEFT's product; 8 with oversampling max(10, k) close it to
        // below 1e-4 (PeftParityTest) for a few more thin GEMMs.
        TruncatedSvd.Result s = TruncatedSvd.compute(delta, out, in, k, Math.max(10, k), 8, recipe.seed() ^ module.hashCode());
        float[] b = new float[out * k];
        for (int i = 0; i < out; i++) {
            for (int c = 0; c < k; c++) {
                b[i * k + c] = s.u()[i * k + c] * s.s()[c];
            }
        }
        float[] a = s.vt();
        if (recipe.svdClamp() != null) {
            float hi = Quantile.linear(b, a, recipe.svdClamp());
            clamp(b, -hi, hi);
            clamp(a, -hi, hi);
        }
        return new Merged(module, emb, a, new long[] {k, in}, b, new long[] {out, k});
    }

    private static void clamp(float[] x, float lo, float hi) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.min(hi, Math.max(lo, x[i]));
        }
    }

    /** Runs PEFT merge function {@code method} on task tensors with a zero base, i.e. returns the merged task tensor. */
    static float[] combine(String method, String tensorName, float[][] tasks, double[] weights, long[] shape, LoraMergeRecipe recipe) {
        MergeMethod m = MethodRegistry.get(method);
        Map<String, Object> global = new LinkedHashMap<>();
        if (!method.equals("peft_task_arithmetic")) {
            global.put("density", recipe.density());
        }
        if (method.equals("peft_ties") || method.equals("peft_dare_ties")) {
            global.put("majority_sign_method", recipe.majoritySignMethod());
        }
        List<TensorInput> inputs = new ArrayList<>();
        inputs.add(new TensorInput("zero", new float[tasks[0].length], shape, true, Params.forModel(m.spec(), Map.of(), "zero", tensorName)));
        for (int i = 0; i < tasks.length; i++) {
            String name = "adapter" + i;
            inputs.add(new TensorInput(name, tasks[i], shape, false, Params.forModel(m.spec(), Map.of("weight", weights[i]), name, tensorName)));
        }
        TensorMerge job = new TensorMerge(tensorName, false, inputs, Params.global(m.spec(), global, tensorName), recipe.seed(), null);
        m.checkParams(job);
        return m.merge(job);
    }

    private static ObjectNode config(List<Adapter> adapters, int rank, Set<String> modules) {
        ObjectNode cfg = (ObjectNode) adapters.get(0).config().raw().deepCopy();
        cfg.put("r", rank);
        cfg.put("lora_alpha", rank);
        cfg.putObject("rank_pattern");
        cfg.putObject("alpha_pattern");
        cfg.put("use_rslora", false);
        List<TargetModules> targets = adapters.stream().map(a -> a.config().targetModules()).toList();
        if (targets.stream().allMatch(t -> t instanceof TargetModules.Names)) {
            Set<String> union = new LinkedHashSet<>();
            targets.forEach(t -> union.addAll(((TargetModules.Names) t).names()));
            ArrayNode arr = cfg.putArray("target_modules");
            union.forEach(arr::add);
        } else if (targets.stream().allMatch(t -> t instanceof TargetModules.Regex)) {
            StringBuilder sb = new StringBuilder();
            targets.forEach(t -> sb.append(sb.isEmpty() ? "" : "|").append('(').append(((TargetModules.Regex) t).regex()).append(')'));
            cfg.put("target_modules", sb.toString());
        } else if (targets.stream().allMatch(t -> t instanceof TargetModules.AllLinear)) {
            cfg.put("target_modules", "all-linear");
        } else {
            // Mixed forms (PEFT refuses list + string): name every merged module exactly instead.
            ArrayNode arr = cfg.putArray("target_modules");
            modules.forEach(arr::add);
        }
        return cfg;
    }
}
