package dev.mergelab.eval;

import dev.mergelab.MergeLabException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Runs tasks on one model as lm-eval's evaluator does (lm_eval/evaluator.py, evaluator_utils.py at 4e7e0d47):
 * documents in order (first {@code limit}), few-shot contexts drawn with one {@code random.Random(1234)} per
 * task shared by its documents in order (evaluator.py:346 set_fewshot_seed, samplers.py), all requests
 * scored, then per-document metrics aggregated with their stderr.
 */
public final class Evaluator {

    /** lm-eval's default {@code fewshot_random_seed} (evaluator.py simple_evaluate, DEFAULT_OTHER_SEED). */
    public static final int FEWSHOT_SEED = 1234;

    private final RequestEncoder encoder;
    private final Scorer scorer;

    public Evaluator(RequestEncoder encoder, Scorer scorer) {
        this.encoder = encoder;
        this.scorer = scorer;
    }

    /** The requests of every document of a task, built before any scoring so progress has a total. */
    /**
     * A task ready to score: its documents' string requests, and those encoded as token requests with, for each,
     * the document and request it belongs to (a rolling document's windows all belong to its one request).
     */
    public record Prepared(TaskConfig config, Task task, int originalDocs, int numFewshot, List<Map<String, Object>> docs,
                           List<Task.DocRequests> requests, List<TokenRequest> tokens, List<int[]> owners) {

        /** Tokens the model reads, for progress: each request's context and continuation. */
        public long work() {
            long w = 0;
            for (TokenRequest t : tokens) {
                w += t.context().length + t.continuation().length;
            }
            return w;
        }
    }

    public Prepared prepare(TaskConfig config, TaskDocs data, Integer limit, Integer numFewshot) {
        checkMetrics(config);
        List<Map<String, Object>> all = data.evalDocs();
        if (all.isEmpty()) {
            throw MergeLabException.input("task " + config.task + " has no documents in its " + data.evalSplit() + " split", null);
        }
        List<Map<String, Object>> docs = limit == null ? all : all.subList(0, Math.min(limit, all.size()));
        Task task = new Task(config, all);
        // evaluator.py: a config's num_fewshot of 0 ignores the command line's; otherwise the command line wins
        int k = Integer.valueOf(0).equals(config.numFewshot) ? 0
                : numFewshot != null ? numFewshot : config.numFewshot != null ? config.numFewshot : 0;
        boolean rolling = config.outputType.equals("loglikelihood_rolling"); // scores the document alone
        List<Map<String, Object>> pool = k > 0 && !rolling ? data.fewshotDocs() : List.of();
        PythonRandom rnd = new PythonRandom(FEWSHOT_SEED);
        List<Task.DocRequests> requests = new ArrayList<>();
        List<TokenRequest> tokens = new ArrayList<>();
        List<int[]> owners = new ArrayList<>();
        for (int d = 0; d < docs.size(); d++) {
            Map<String, Object> doc = docs.get(d);
            List<Map<String, Object>> shots = k == 0 || rolling ? List.of() : sample(config, task, pool, doc, k, rnd);
            Task.DocRequests r;
            try {
                r = task.requests(doc, task.contexts(doc, shots));
            } catch (IllegalArgumentException | ClassCastException | IndexOutOfBoundsException | NullPointerException e) {
                // a document without the columns the prompt reads, or of other types: bad data, said in one line
                throw MergeLabException.input("task " + config.task + ", document " + d + ": " + e.getMessage(), null);
            }
            requests.add(r);
            if (r.rolling()) {
                for (TokenRequest w : encoder.rolling(r.pairs().get(0)[1])) {
                    tokens.add(w);
                    owners.add(new int[] {d, 0});
                }
            } else {
                for (int i = 0; i < r.pairs().size(); i++) {
                    tokens.add(encoder.encodePair(r.pairs().get(i)[0], r.pairs().get(i)[1]));
                    owners.add(new int[] {d, i});
                }
            }
        }
        return new Prepared(config, task, all.size(), k, docs, requests, tokens, owners);
    }

    /**
     * The default sampler: {@code rnd.sample(pool, k)}, or {@code k + 1} draws with the document removed when
     * the few-shot split is the evaluated one (samplers.py:54-75 sample, rm_eval_doc); first_n takes the
     * pool's first k (samplers.py:94-104).
     */
    static List<Map<String, Object>> sample(TaskConfig config, Task task, List<Map<String, Object>> pool,
                                            Map<String, Object> doc, int k, PythonRandom rnd) {
        boolean exclude = task.excludesEvalDoc();
        if ("first_n".equals(config.sampler)) {
            List<Map<String, Object>> p = exclude ? pool.stream().filter(d -> !d.equals(doc)).toList() : pool;
            if (k > p.size()) {
                throw MergeLabException.input(config.task + ": " + k + " few-shot examples asked, " + p.size() + " available", null);
            }
            return p.subList(0, k);
        }
        if (!"default".equals(config.sampler)) {
            throw MergeLabException.input(config.source + ": fewshot_config sampler " + config.sampler + " is not supported (default, first_n)", null);
        }
        int draw = exclude ? k + 1 : k;
        if (draw > pool.size()) {
            throw MergeLabException.input(config.task + ": " + k + " few-shot examples asked, the few-shot split has " + pool.size(), null);
        }
        List<Map<String, Object>> drawn = rnd.sample(pool, draw);
        if (!exclude) {
            return drawn;
        }
        List<Map<String, Object>> kept = new ArrayList<>();
        for (Map<String, Object> d : drawn) {
            if (!d.equals(doc)) {
                kept.add(d);
            }
        }
        return kept.subList(0, Math.min(k, kept.size()));
    }

    /** Scores a prepared task; {@code progress} hears the tokens of each finished request (see {@link Prepared#work}). */
    public TaskResult run(Prepared p, LongConsumer progress) {
        List<TokenRequest> tokens = p.tokens();
        List<int[]> owner = p.owners();
        Score[] scores = scorer.score(tokens, i -> progress.accept(tokens.get(i).context().length + tokens.get(i).continuation().length));
        double[][] lls = new double[p.requests().size()][];
        boolean[][] greedy = new boolean[p.requests().size()][];
        for (int d = 0; d < lls.length; d++) {
            Task.DocRequests r = p.requests().get(d);
            lls[d] = new double[r.rolling() ? 1 : r.pairs().size()];
            greedy[d] = new boolean[lls[d].length];
            java.util.Arrays.fill(greedy[d], true);
        }
        for (int t = 0; t < tokens.size(); t++) {
            int d = owner.get(t)[0];
            int i = owner.get(t)[1];
            // loglikelihood_rolling sums its windows' log-likelihoods (huggingface.py:1294-1300)
            lls[d][i] += scores[t].logprob();
            greedy[d][i] &= scores[t].greedy();
        }
        List<TaskResult.DocSample> samples = new ArrayList<>();
        Map<String, List<double[]>> perMetric = new LinkedHashMap<>();
        for (int d = 0; d < lls.length; d++) {
            Score[] docScores = new Score[lls[d].length];
            for (int i = 0; i < docScores.length; i++) {
                docScores[i] = new Score(lls[d][i], greedy[d][i]);
            }
            Map<String, double[]> m;
            try {
                m = p.task().results(p.docs().get(d), docScores);
            } catch (IllegalArgumentException | ClassCastException | IndexOutOfBoundsException | NullPointerException e) {
                throw MergeLabException.input("task " + p.config().task + ", document " + d + ": " + e.getMessage(), null);
            }
            m.forEach((k, v) -> perMetric.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            samples.add(new TaskResult.DocSample(d, lls[d], greedy[d], m));
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        Map<String, Boolean> higher = new LinkedHashMap<>();
        for (var e : perMetric.entrySet()) {
            aggregate(p.config(), e.getKey(), e.getValue(), metrics);
            higher.put(e.getKey(), higherIsBetter(e.getKey()));
        }
        return new TaskResult(p.config(), p.originalDocs(), p.numFewshot(), metrics, higher, samples);
    }

    private static final List<String> METRICS = List.of("acc", "acc_norm", "perplexity", "word_perplexity", "byte_perplexity", "bits_per_byte");

    private static void checkMetrics(TaskConfig c) {
        for (String m : c.metricNames()) {
            if (!METRICS.contains(m)) {
                throw MergeLabException.input(c.source + ": metric " + m + " is not supported (" + String.join(", ", METRICS) + ")", null);
            }
        }
        if (c.metricList.isEmpty()) {
            throw MergeLabException.input(c.source + ": metric_list is empty", null);
        }
    }

    static boolean higherIsBetter(String metric) {
        return metric.equals("acc") || metric.equals("acc_norm");
    }

    /**
     * The metric's aggregation (its registered default, api/metrics.py: mean for acc and acc_norm, perplexity,
     * weighted_perplexity, bits_per_byte) and stderr as evaluator_utils.py:198-217 computes it: mean_stderr for
     * mean, the bootstrap for perplexity, "N/A" for the rest and for a single document.
     */
    static void aggregate(TaskConfig c, String metric, List<double[]> items, Map<String, Object> out) {
        int n = items.size();
        double[] first = new double[n];
        double[] second = new double[n];
        for (int i = 0; i < n; i++) {
            first[i] = items.get(i)[0];
            second[i] = items.get(i).length > 1 ? items.get(i)[1] : 0;
        }
        Object stderr = "N/A";
        double value;
        switch (metric) {
            case "acc", "acc_norm" -> {
                value = Metrics.mean(first);
                if (n > 1) {
                    stderr = Metrics.meanStderr(first);
                }
            }
            case "perplexity" -> {
                value = Metrics.perplexity(first);
                if (n > 1) {
                    stderr = Metrics.bootstrapPerplexityStderr(first, Metrics.BOOTSTRAP_ITERS);
                }
            }
            case "word_perplexity", "byte_perplexity" -> value = Metrics.weightedPerplexity(first, second);
            case "bits_per_byte" -> value = Metrics.bitsPerByte(first, second);
            default -> throw new IllegalStateException(metric);
        }
        out.put(metric + ",none", value);
        out.put(metric + "_stderr,none", stderr);
    }
}
