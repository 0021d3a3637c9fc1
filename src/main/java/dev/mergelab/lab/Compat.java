package dev.mergelab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.format.PageHints;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The lab's compatibility gate and merge decision table. Static checks first (architecture, tensor
 * schema, dtypes, tokenizer, config); then, when every static check passes, task-vector statistics
 * streamed over all tensors on all cores decide between a task-vector merge and an alignment-aware one.
 *
 * <ul>
 *   <li>{@code distill}: different architecture, tensor schema, vocabulary or tokenizer. Parameter mixing
 *       is meaningless; distil instead.
 *   <li>{@code align}: same shapes but no shared base (task vectors as large as the weights): the models
 *       were trained apart, so permutation alignment or an evaluation-first soup is needed.
 *   <li>{@code merge}: same base family, tokenizer and schema.
 * </ul>
 */
public final class Compat {

    /** ‖δ‖/‖θ_base‖ above this means the model did not start from that base (fine-tunes sit around 0.01–0.1). */
    public static final double UNRELATED_RELATIVE_DELTA = 0.5;

    private static final Set<String> IGNORED_CONFIG_KEYS = Set.of("_name_or_path", "torch_dtype", "dtype", "transformers_version",
            "architectures");

    private Compat() {
    }

    /**
     * @param models the models to compare (at least one)
     * @param base   the common base, or null: then the first model serves as reference for the statistics
     */
    public static CompatReport check(List<ModelSource> models, ModelSource base, int threads) {
        List<ModelFacts> facts = new ArrayList<>();
        for (ModelSource m : models) {
            facts.add(ModelFacts.of(m));
        }
        ModelFacts ref = base != null ? ModelFacts.of(base) : facts.getFirst();
        List<ModelFacts> others = base != null ? facts : facts.subList(1, facts.size());
        List<String> reasons = new ArrayList<>();
        boolean distill = false;
        for (ModelFacts f : others) {
            String who = f.source().displayName();
            String refName = ref.source().displayName();
            if (!f.architecture().name().equals(ref.architecture().name())) {
                reasons.add("architecture differs: " + who + " is " + f.architecture().name() + ", " + refName + " is "
                        + ref.architecture().name());
                distill = true;
            }
            distill |= schemaDiffers(ref, f, reasons);
            if (!f.dtypes().keySet().equals(ref.dtypes().keySet())) {
                reasons.add("dtypes differ: " + who + " " + f.dtypes().keySet() + " vs " + ref.dtypes().keySet()
                        + " (fine: merges compute in float32)");
            }
            if (f.tokenizer().present() && ref.tokenizer().present() && !f.tokenizer().sameVocabularyAs(ref.tokenizer())) {
                boolean sizes = f.tokenizer().vocabSize().isPresent() && ref.tokenizer().vocabSize().isPresent()
                        && f.tokenizer().vocabSize().getAsInt() != ref.tokenizer().vocabSize().getAsInt();
                reasons.add("tokenizer differs between " + who + " and " + refName
                        + (sizes ? " (" + f.tokenizer().vocabSize().getAsInt() + " vs " + ref.tokenizer().vocabSize().getAsInt() + " tokens)" : "")
                        + ": token ids do not mean the same thing");
                distill = true;
            } else if (f.tokenizer().present() != ref.tokenizer().present()) {
                reasons.add("only one of " + who + " and " + refName + " has tokenizer files; identity cannot be checked");
            }
            configDifferences(ref, f, reasons);
        }
        if (distill) {
            return new CompatReport(CompatReport.DISTILL, withAdvice(reasons, "distill: parameter mixing needs one architecture, schema and vocabulary"),
                    names(others), base == null ? null : ref.source().displayName(), Map.of(), null);
        }
        Map<Integer, TaskVectorStats> layers = stream(ref, others, threads);
        TaskVectorStats total = new TaskVectorStats(others.size());
        layers.values().forEach(total::merge);
        String verdict = CompatReport.MERGE;
        for (int i = 0; i < others.size(); i++) {
            double rel = total.relativeDelta(i);
            String who = others.get(i).source().displayName();
            if (rel > UNRELATED_RELATIVE_DELTA) {
                reasons.add(String.format("%s differs from %s by %.0f%% of the weights' norm: not a fine-tune of it", who,
                        ref.source().displayName(), 100 * rel));
                verdict = CompatReport.ALIGN;
            } else {
                reasons.add(String.format("%s: task vector is %.2f%% of the base norm, %.1f%% of parameters changed", who, 100 * rel,
                        100 * total.changedFraction(i)));
            }
        }
        for (int i = 0; i < others.size(); i++) {
            for (int j = i + 1; j < others.size(); j++) {
                reasons.add(String.format("task vectors of %s and %s: cosine %.3f, sign conflicts %.1f%%", others.get(i).source().displayName(),
                        others.get(j).source().displayName(), total.cosine(i, j), 100 * total.signConflictRate(i, j)));
            }
        }
        if (base == null && others.isEmpty()) {
            reasons.add("one model only: nothing to compare");
        }
        withAdvice(reasons, verdict.equals(CompatReport.ALIGN)
                ? "align: use an alignment-aware merge (permutation matching) or evaluate a soup before trusting it"
                : "merge: task-vector methods (task_arithmetic, ties, dare_ties, della) or slerp apply");
        return new CompatReport(verdict, reasons, names(others), base == null ? null : ref.source().displayName(), layers, total);
    }

    private static List<String> withAdvice(List<String> reasons, String advice) {
        reasons.add(advice);
        return reasons;
    }

    private static List<String> names(List<ModelFacts> facts) {
        return facts.stream().map(f -> f.source().displayName()).toList();
    }

    /** Reports differing tensor names and shapes; true when they rule out parameter mixing. */
    private static boolean schemaDiffers(ModelFacts ref, ModelFacts f, List<String> reasons) {
        Map<String, TensorRef> a = ref.source().tensors();
        Map<String, TensorRef> b = f.source().tensors();
        Set<String> onlyRef = new TreeSet<>(a.keySet());
        onlyRef.removeAll(b.keySet());
        Set<String> onlyF = new TreeSet<>(b.keySet());
        onlyF.removeAll(a.keySet());
        boolean bad = false;
        String who = f.source().displayName();
        // A tied lm_head present in one model only is not a schema difference worth refusing.
        onlyRef.removeIf(n -> isTiedAlias(ref, n, b.keySet()));
        onlyF.removeIf(n -> isTiedAlias(f, n, a.keySet()));
        if (!onlyRef.isEmpty() || !onlyF.isEmpty()) {
            reasons.add("tensor names differ: " + who + " lacks " + onlyRef.size() + " (" + sample(onlyRef) + "), has " + onlyF.size()
                    + " extra (" + sample(onlyF) + ")");
            bad = true;
        }
        int shapeDiffs = 0;
        String example = null;
        for (Map.Entry<String, TensorRef> e : a.entrySet()) {
            TensorRef t = b.get(e.getKey());
            if (t != null && !Arrays.equals(t.shape(), e.getValue().shape())) {
                shapeDiffs++;
                if (example == null) {
                    example = e.getKey() + " " + Arrays.toString(t.shape()) + " vs " + Arrays.toString(e.getValue().shape());
                }
            }
        }
        if (shapeDiffs > 0) {
            reasons.add(shapeDiffs + " tensor shapes differ in " + who + ", e.g. " + example
                    + (onlyEmbeddings(ref, a, b) ? " (vocabulary size differs)" : ""));
            bad = true;
        }
        return bad;
    }

    private static boolean isTiedAlias(ModelFacts owner, String name, Set<String> otherNames) {
        return owner.architecture().classify(name).map(w -> w.optional() || !w.tiedNames().isEmpty()).orElse(false)
                && owner.architecture().classify(name).map(WeightInfo::isEmbed).orElse(false);
    }

    private static boolean onlyEmbeddings(ModelFacts ref, Map<String, TensorRef> a, Map<String, TensorRef> b) {
        for (Map.Entry<String, TensorRef> e : a.entrySet()) {
            TensorRef t = b.get(e.getKey());
            if (t != null && !Arrays.equals(t.shape(), e.getValue().shape())
                    && !ref.architecture().classify(e.getKey()).map(WeightInfo::isEmbed).orElse(false)) {
                return false;
            }
        }
        return true;
    }

    private static String sample(Set<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names.stream().limit(3).toList()) + (names.size() > 3 ? ", ..." : "");
    }

    private static void configDifferences(ModelFacts ref, ModelFacts f, List<String> reasons) {
        if (ref.config() == null || f.config() == null) {
            return;
        }
        List<String> diffs = new ArrayList<>();
        JsonNode a = ref.config().raw();
        JsonNode b = f.config().raw();
        Set<String> keys = new TreeSet<>();
        a.fieldNames().forEachRemaining(keys::add);
        b.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            if (!IGNORED_CONFIG_KEYS.contains(k) && !a.path(k).equals(b.path(k))) {
                diffs.add(k + "=" + clip(b.path(k).toString()) + " (vs " + clip(a.path(k).toString()) + ")");
            }
        }
        if (!diffs.isEmpty()) {
            reasons.add("config differs in " + f.source().displayName() + ": " + String.join(", ", diffs.stream().limit(6).toList())
                    + (diffs.size() > 6 ? ", ..." : ""));
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** Task-vector statistics per layer, one task per tensor on {@code threads} workers, constant memory per task. */
    private static Map<Integer, TaskVectorStats> stream(ModelFacts ref, List<ModelFacts> others, int threads) {
        Map<Integer, TaskVectorStats> layers = new TreeMap<>();
        if (others.isEmpty()) {
            return layers;
        }
        ExecutorService pool = dev.mergelab.Workers.pool(threads, "compat-stats");
        try {
            List<Future<Map.Entry<Integer, TaskVectorStats>>> jobs = new ArrayList<>();
            for (TensorRef base : ref.source().tensors().values()) {
                if (!base.dtype().isFloating()) {
                    continue;
                }
                TensorRef[] ts = new TensorRef[others.size()];
                boolean ok = true;
                for (int i = 0; i < ts.length; i++) {
                    ts[i] = others.get(i).source().tensor(base.name());
                    ok &= ts[i] != null && Arrays.equals(ts[i].shape(), base.shape());
                }
                if (!ok) {
                    continue;
                }
                int layer = ref.architecture().classify(base.name()).map(WeightInfo::layerIndex).orElse(-1);
                jobs.add(pool.submit(() -> {
                    TaskVectorStats s = new TaskVectorStats(ts.length);
                    s.add(base, ts);
                    // Mapped pages would otherwise stay in our resident set: drop them (they stay in the page cache).
                    PageHints.dontNeed(base.data());
                    for (TensorRef t : ts) {
                        PageHints.dontNeed(t.data());
                    }
                    return Map.entry(layer, s);
                }));
            }
            for (Future<Map.Entry<Integer, TaskVectorStats>> j : jobs) {
                Map.Entry<Integer, TaskVectorStats> e = j.get();
                layers.computeIfAbsent(e.getKey(), k -> new TaskVectorStats(others.size())).merge(e.getValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return layers;
    }

}
