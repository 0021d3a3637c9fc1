package dev.mergelab.lora;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.model.Architecture;
import dev.mergelab.model.Architectures;
import dev.mergelab.model.InferredLayout;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.format.PageHints;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.Section;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightInfo;
import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.FloatKernels;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Extracts a PEFT LoRA adapter from a fine-tune and its base, with mergekit-extract-lora's choices:
 * every 2-D weight's task vector Δ = θ_ft − θ_base is factorised by a truncated SVD of rank
 * min(max rank, #σ > ε), A = √S·Vᵀ and B = U·√S ("distribute scale"; or A = S·Vᵀ, B = U); embeddings are
 * saved whole in modules_to_save unless {@code embedLora} (then lora_embedding_A/B of Δᵀ, PEFT's
 * layout); weights that are not matrices (norms) are saved whole when they changed, unless
 * {@code skipUndecomposable}. The config gets r = the largest rank, lora_alpha = r, and
 * rank_pattern/alpha_pattern (alpha = rank, so every scale is 1) for the modules whose rank differs.
 *
 * <p>Modules run in parallel, each on one thread, within a heap budget (a module holds Δ, the base
 * weight and the sketch). The factors of all modules are held until the end because ranks, and so the
 * file header, are known only after every SVD; they are r·(in+out) per module, a small fraction of the
 * model.
 */
public final class LoraExtract {

    /**
     * Options, named as in mergekit-extract-lora. {@code outDtype}: dtype of the written factors, or null for the
     * fine-tune's (the dtype holding most of its decomposed weights' elements).
     */
    public record Options(int maxRank, double svEpsilon, List<Pattern> include, List<Pattern> exclude, boolean embedLora,
                          List<String> saveModules, boolean skipUndecomposable, boolean distributeScale, int oversample,
                          int powerIterations, int threads, long memoryBudgetBytes, DType outDtype, long seed) {

        Options withOutDtype(DType dtype) {
            return new Options(maxRank, svEpsilon, include, exclude, embedLora, saveModules, skipUndecomposable, distributeScale,
                    oversample, powerIterations, threads, memoryBudgetBytes, dtype, seed);
        }
    }

    /** What happened to one module. */
    public record ModuleReport(String module, String kind, long[] shape, int rank, double relativeError, double deltaNorm) {
    }

    /**
     * The adapter's tensors and config, ready for {@link AdapterWriter}, the per-module report (errors of the factors
     * as written, after rounding to {@code dtype}), and the factors' dtype.
     */
    public record Result(List<AdapterWriter.OutTensor> tensors, ObjectNode config, List<ModuleReport> modules, DType dtype) {
    }

    private enum Kind { LORA, EMBED_LORA, SAVE }

    /** One tensor's fate; {@code storedInOut}: a Conv1D weight ([in, out]), factorised transposed like an embedding. */
    private record Plan(String tensor, String module, Kind kind, TensorRef base, TensorRef ft, boolean storedInOut) {
        Plan(String tensor, String module, Kind kind, TensorRef base, TensorRef ft) {
            this(tensor, module, kind, base, ft, false);
        }

        /** PEFT's ΔW = (B·A)ᵀ layouts: embeddings, and Conv1D weights (fan_in_fan_out). */
        boolean transposed() {
            return kind == Kind.EMBED_LORA || storedInOut;
        }
    }

    private record Factorised(Plan plan, float[] a, float[] b, int rank, long[] aShape, long[] bShape, double error, double norm) {
    }

    private LoraExtract() {
    }

    public static Result run(ModelSource base, ModelSource ft, String baseName, Options o, Consumer<String> warnings) {
        List<Plan> plans = plan(base, ft, o, warnings);
        Options resolved = o.outDtype() != null ? o : o.withOutDtype(fineTuneDtype(plans));
        List<Factorised> done = factorise(plans, resolved);
        return assemble(done, plans, baseName, resolved);
    }

    /** The dtype of most decomposed elements of the fine-tune: an F32 fine-tune gets F32 factors. */
    private static DType fineTuneDtype(List<Plan> plans) {
        Map<DType, Long> elements = new EnumMap<>(DType.class);
        for (Plan p : plans) {
            if (p.kind() != Kind.SAVE) {
                elements.merge(p.ft().dtype(), p.ft().numel(), Long::sum);
            }
        }
        DType best = null;
        for (Map.Entry<DType, Long> e : elements.entrySet()) {
            if (best == null || e.getValue() > elements.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }

    private static List<Plan> plan(ModelSource base, ModelSource ft, Options o, Consumer<String> warnings) {
        Architecture arch = architecture(ft);
        List<Plan> plans = new ArrayList<>();
        for (Map.Entry<String, TensorRef> e : ft.tensors().entrySet()) {
            String name = e.getKey();
            TensorRef f = e.getValue();
            TensorRef b = base.tensor(name);
            if (b == null) {
                throw MergeLabException.input("fine-tune has tensor " + name + " that the base lacks",
                        "extract from a fine-tune of this base (added modules are not supported)");
            }
            if (!Arrays.equals(b.shape(), f.shape())) {
                throw MergeLabException.input(name + " is " + f.info().shapeString() + " in the fine-tune but " + b.info().shapeString()
                        + " in the base", "vocabulary resizes are not supported; resize the base to the fine-tune's vocabulary first");
            }
            if (!f.dtype().isFloating()) {
                continue;
            }
            String module = Adapter.moduleOf(name);
            String key = module.substring(module.lastIndexOf('.') + 1);
            boolean excluded = o.exclude().stream().anyMatch(p -> p.matcher(module).find());
            boolean included = o.include().isEmpty() || o.include().stream().anyMatch(p -> p.matcher(module).find());
            if (excluded) {
                continue;
            }
            boolean isWeight = name.endsWith(".weight");
            Optional<WeightInfo> wi = arch.classify(name);
            boolean embedIn = wi.map(w -> w.isEmbed() && w.section() == Section.PRE).orElse(false);
            boolean embedOut = wi.map(w -> w.isEmbed() && w.section() == Section.POST).orElse(false);
            boolean saveAsked = o.saveModules().contains(module) || o.saveModules().contains(key);
            if (isWeight && f.shape().length == 2 && !saveAsked && ((embedIn || embedOut) ? o.embedLora() : included)) {
                plans.add(new Plan(name, module, embedIn ? Kind.EMBED_LORA : Kind.LORA, b, f,
                        wi.map(WeightInfo::storedInOut).orElse(false)));
            } else if (saveAsked || embedIn || embedOut) {
                plans.add(new Plan(name, module, Kind.SAVE, b, f));
            } else if (!included) {
                continue;
            } else if (!isWeight && f.shape().length == 1 && name.endsWith(".bias") && ft.tensor(module + ".weight") != null
                    && ft.tensor(module + ".weight").shape().length == 2) {
                if (changed(b, f)) {
                    warnings.accept(name + " changed but LoRA carries no bias (PEFT bias=none); its change is not captured");
                }
            } else if (!o.skipUndecomposable() && changed(b, f)) {
                plans.add(new Plan(name, module, Kind.SAVE, b, f));
            }
        }
        if (plans.stream().noneMatch(p -> p.kind() != Kind.SAVE)) {
            throw MergeLabException.input("no weight matrix left to decompose", "check --include-regex/--exclude-regex/--save-module");
        }
        return plans;
    }

    private static Architecture architecture(ModelSource m) {
        return Architectures.forSource(m);
    }

    private static boolean changed(TensorRef b, TensorRef f) {
        boolean differs = b.dtype() != f.dtype() || b.data().mismatch(f.data()) >= 0;
        // The comparison touched every page of both tensors; drop them from our resident set (page cache keeps them).
        PageHints.dontNeed(b.data());
        PageHints.dontNeed(f.data());
        return differs;
    }

    private static List<Factorised> factorise(List<Plan> plans, Options o) {
        ExecutorService pool = dev.mergelab.Workers.pool(Math.max(1, o.threads()), "lora-extract");
        int budgetMib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, o.memoryBudgetBytes() >> 20));
        Semaphore budget = new Semaphore(budgetMib, true);
        List<Future<Factorised>> futures = new ArrayList<>();
        try {
            for (Plan p : plans) {
                if (p.kind() == Kind.SAVE) {
                    continue;
                }
                futures.add(pool.submit(() -> {
                    int need = (int) Math.min(budgetMib, Math.max(1, (8 * p.ft().numel() + (1 << 20) - 1) >> 20));
                    budget.acquireUninterruptibly(need);
                    try {
                        return decompose(p, o);
                    } finally {
                        budget.release(need);
                    }
                }));
            }
            List<Factorised> out = new ArrayList<>();
            for (Future<Factorised> f : futures) {
                Factorised r = f.get();
                if (r != null) {
                    out.add(r);
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("extraction interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** One module: Δ, its truncated SVD, the factors, and ‖Δ − B·A‖/‖Δ‖ measured directly. Null if Δ = 0. */
    static Factorised decompose(Plan p, Options o) {
        float[] delta = Factors.decode(p.ft());
        float[] w = Factors.decode(p.base());
        PageHints.dontNeed(p.ft().data());
        PageHints.dontNeed(p.base().data());
        FloatKernels.sub(delta, 0, w, 0, delta, 0, delta.length);
        w = null;
        long[] shape = p.ft().shape();
        int m = (int) shape[0];
        int n = (int) shape[1];
        if (p.transposed()) {
            // PEFT's embedding and Conv1D layouts: ΔW = (B·A)ᵀ (embedding: A [r, vocab], B [hidden, r];
            // Conv1D stores [in, out]: A [r, in], B [out, r]); so factorise Δᵀ.
            delta = Factors.transpose(delta, m, n);
            int t = m;
            m = n;
            n = t;
        }
        double norm = Math.sqrt(FloatKernels.sumSquares(delta, 0, delta.length));
        if (norm == 0) {
            return null;
        }
        int k = Math.min(o.maxRank(), Math.min(m, n));
        TruncatedSvd.Result svd = TruncatedSvd.compute(delta, m, n, k, o.oversample(), o.powerIterations(), o.seed() ^ p.module().hashCode());
        int rank = svd.k();
        if (o.svEpsilon() > 0) {
            int above = 0;
            while (above < rank && svd.s()[above] > o.svEpsilon()) {
                above++;
            }
            rank = above;
        }
        if (rank == 0) {
            return null;
        }
        float[] a = new float[rank * n];
        float[] b = new float[m * rank];
        for (int c = 0; c < rank; c++) {
            float s = svd.s()[c];
            float sa = o.distributeScale() ? (float) Math.sqrt(s) : s;
            float sb = o.distributeScale() ? (float) Math.sqrt(s) : 1f;
            for (int j = 0; j < n; j++) {
                a[c * n + j] = sa * svd.vt()[c * n + j];
            }
            for (int i = 0; i < m; i++) {
                b[i * rank + c] = sb * svd.u()[i * svd.k() + c];
            }
        }
        // The factors as they will be stored, so the reported error is the written adapter's.
        roundTo(o.outDtype(), a);
        roundTo(o.outDtype(), b);
        // Residual in place: Δ -= B·A.
        Gemm.addProduct(delta, m, n, b, 0, rank, 1, a, rank, -1f);
        double err = Math.sqrt(FloatKernels.sumSquares(delta, 0, delta.length)) / norm;
        return new Factorised(p, a, b, rank, new long[] {rank, n}, new long[] {m, rank}, err, norm);
    }

    /** Rounds values to {@code dtype} in place (round to nearest even, as the writer encodes them). */
    static void roundTo(DType dtype, float[] v) {
        if (dtype == DType.F32) {
            return;
        }
        int chunk = Math.min(v.length, 1 << 16);
        MemorySegment buf = MemorySegment.ofArray(new byte[chunk * dtype.size()]);
        for (int at = 0; at < v.length; at += chunk) {
            int c = Math.min(chunk, v.length - at);
            Codecs.encode(dtype, v, at, c, buf, 0);
            Codecs.decode(dtype, buf, 0, v, at, c);
        }
    }

    private static Result assemble(List<Factorised> done, List<Plan> plans, String baseName, Options o) {
        List<AdapterWriter.OutTensor> tensors = new ArrayList<>();
        List<ModuleReport> report = new ArrayList<>();
        int maxRank = 0;
        for (Factorised f : done) {
            maxRank = Math.max(maxRank, f.rank());
        }
        if (maxRank == 0) {
            throw MergeLabException.input("the fine-tune's weight matrices equal the base's (or every singular value is below --sv-epsilon)",
                    "nothing to extract");
        }
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        TreeSet<String> targets = new TreeSet<>();
        for (Factorised f : done) {
            Plan p = f.plan();
            boolean emb = p.kind() == Kind.EMBED_LORA;
            String prefix = Adapter.PREFIX + p.module();
            tensors.add(AdapterWriter.OutTensor.computed(prefix + (emb ? ".lora_embedding_A" : ".lora_A.weight"), o.outDtype(), f.aShape(), f.a()));
            tensors.add(AdapterWriter.OutTensor.computed(prefix + (emb ? ".lora_embedding_B" : ".lora_B.weight"), o.outDtype(), f.bShape(), f.b()));
            if (f.rank() != maxRank) {
                rankPattern.put(p.module(), f.rank());
            }
            targets.add(p.module().substring(p.module().lastIndexOf('.') + 1));
            report.add(new ModuleReport(p.module(), emb ? "lora_embedding" : "lora", p.ft().shape(), f.rank(), f.error(), f.norm()));
        }
        TreeSet<String> toSave = new TreeSet<>();
        for (Plan p : plans) {
            if (p.kind() == Kind.SAVE) {
                tensors.add(AdapterWriter.OutTensor.copied(Adapter.PREFIX + p.tensor(), p.ft().dtype(), p.ft()));
                toSave.add(p.module().substring(p.module().lastIndexOf('.') + 1));
                report.add(new ModuleReport(p.module(), "saved", p.ft().shape(), -1, 0, Double.NaN));
            }
        }
        ObjectNode cfg = AdapterJson.MAPPER.createObjectNode();
        cfg.put("peft_type", "LORA");
        cfg.put("task_type", "CAUSAL_LM");
        cfg.put("base_model_name_or_path", baseName);
        cfg.put("r", maxRank);
        cfg.put("lora_alpha", maxRank);
        ObjectNode rp = cfg.putObject("rank_pattern");
        ObjectNode ap = cfg.putObject("alpha_pattern");
        rankPattern.forEach((k, v) -> {
            rp.put(k, v);
            ap.put(k, v);
        });
        ArrayNode tm = cfg.putArray("target_modules");
        targets.forEach(tm::add);
        ArrayNode ms = cfg.putArray("modules_to_save");
        toSave.forEach(ms::add);
        cfg.put("use_rslora", false);
        // PEFT keeps one flag and overrides it per layer type; true when the decomposed weights are Conv1D.
        cfg.put("fan_in_fan_out", plans.stream().anyMatch(p -> p.kind() == Kind.LORA && p.storedInOut()));
        cfg.put("lora_dropout", 0.0);
        cfg.put("bias", "none");
        cfg.put("inference_mode", true);
        return new Result(tensors, cfg, report, o.outDtype());
    }
}
