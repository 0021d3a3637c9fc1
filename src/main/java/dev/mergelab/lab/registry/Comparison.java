package dev.mergelab.lab.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.lab.Compat;
import dev.mergelab.lab.CompatReport;
import dev.mergelab.lab.TaskVectorStats;
import dev.mergelab.model.ModelSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Two candidates side by side: their scores per task and metric, and the task-vector statistics of both against
 * their common base (per layer: norms, cosine, sign conflicts), computed by {@link Compat} as {@code compat} does.
 *
 * @param base  the common base the statistics are taken against
 * @param stats the compat report of (a, b) against base; its layer statistics hold model 0 = a, model 1 = b
 */
public record Comparison(Candidate a, Candidate b, Candidate base, List<ScoreRow> scores, CompatReport stats) {

    /** One task and metric: each candidate's value and standard error, null where it has none. */
    public record ScoreRow(String task, String metric, Double a, Double aStderr, Double b, Double bStderr) {
    }

    /** Compares {@code a} and {@code b}; {@code base} overrides the common base found in the lineage when not null. */
    public static Comparison of(Registry registry, Candidate a, Candidate b, Candidate base, int threads) {
        if (base == null) {
            base = commonBase(registry, a, b).orElseThrow(() -> MergeLabException.input(a.shortId() + " and " + b.shortId()
                    + " have no common ancestor in the lab", "name their base with --base"));
        }
        for (Candidate c : List.of(a, b, base)) {
            if (!c.kind().equals(ModelIdentity.MODEL)) {
                throw MergeLabException.input(c.shortId() + " is " + c.kind() + ", not a full model: task vectors need model weights",
                        "compare the models the adapters were applied to");
            }
            if (!c.present()) {
                throw MergeLabException.input(c.shortId() + "'s files are gone from " + c.path(), "task-vector statistics read the weights");
            }
        }
        try (ModelSource ma = ModelSource.open(a.path(), a.shortId()); ModelSource mb = ModelSource.open(b.path(), b.shortId());
                ModelSource mbase = ModelSource.open(base.path(), base.shortId())) {
            CompatReport stats = Compat.check(List.of(ma, mb), mbase, threads);
            return new Comparison(a, b, base, scoreRows(registry, a, b), stats);
        }
    }

    private static List<ScoreRow> scoreRows(Registry registry, Candidate a, Candidate b) {
        Map<String, ScoreRow> rows = new TreeMap<>();
        for (StoredScore s : registry.scores(a.id())) {
            rows.put(s.score().task() + "\t" + s.score().metric(), new ScoreRow(s.score().task(), s.score().metric(), s.score().value(),
                    s.score().stderr(), null, null));
        }
        for (StoredScore s : registry.scores(b.id())) {
            ScoreRow old = rows.get(s.score().task() + "\t" + s.score().metric());
            rows.put(s.score().task() + "\t" + s.score().metric(), new ScoreRow(s.score().task(), s.score().metric(),
                    old == null ? null : old.a(), old == null ? null : old.aStderr(), s.score().value(), s.score().stderr()));
        }
        return List.copyOf(rows.values());
    }

    /**
     * The nearest common ancestor that served as a merge base (else the nearest common root), nearest meaning the
     * smallest sum of the two distances; ties go to the smaller id, so the choice is stable.
     */
    static Optional<Candidate> commonBase(Registry registry, Candidate a, Candidate b) {
        Map<String, Integer> da = distances(registry, a.id());
        Map<String, Integer> db = distances(registry, b.id());
        String best = null;
        int bestRank = Integer.MAX_VALUE;
        for (Map.Entry<String, Integer> e : da.entrySet()) {
            Integer other = db.get(e.getKey());
            if (other == null || e.getKey().equals(a.id()) || e.getKey().equals(b.id())) {
                continue;
            }
            boolean wasBase = registry.childrenOf(e.getKey()).stream().anyMatch(Edge::isBase);
            boolean root = registry.parentsOf(e.getKey()).isEmpty();
            if (!wasBase && !root) {
                continue;
            }
            int rank = (wasBase ? 0 : 1_000_000) + e.getValue() + other;
            if (rank < bestRank || rank == bestRank && e.getKey().compareTo(best) < 0) {
                best = e.getKey();
                bestRank = rank;
            }
        }
        return best == null ? Optional.empty() : registry.candidate(best);
    }

    /** Distance (in edges) from {@code id} to itself and each of its ancestors. */
    private static Map<String, Integer> distances(Registry registry, String id) {
        Map<String, Integer> d = new HashMap<>();
        d.put(id, 0);
        Deque<String> todo = new ArrayDeque<>(List.of(id));
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            for (Edge e : registry.parentsOf(c)) {
                if (!d.containsKey(e.parent())) {
                    d.put(e.parent(), d.get(c) + 1);
                    todo.addLast(e.parent());
                }
            }
        }
        return d;
    }

    /** Per-layer rows: layer (-1: embeddings, norms, head), ‖δa‖, ‖δb‖, their ratios to the base, cosine, sign conflicts. */
    public ObjectNode toJson() {
        ObjectNode o = Provenance.JSON.createObjectNode();
        o.set("a", node(a));
        o.set("b", node(b));
        o.set("base", node(base));
        ArrayNode sc = o.putArray("scores");
        for (ScoreRow r : scores) {
            sc.addObject().put("task", r.task()).put("metric", r.metric()).put("a", r.a()).put("a_stderr", r.aStderr()).put("b", r.b())
                    .put("b_stderr", r.bStderr());
        }
        ObjectNode tv = o.putObject("task_vectors");
        tv.put("verdict", stats.verdict());
        ArrayNode layers = tv.putArray("layers");
        for (Map.Entry<Integer, TaskVectorStats> e : stats.layers().entrySet()) {
            layers.add(statsNode(e.getValue()).put("layer", e.getKey()));
        }
        if (stats.total() != null) {
            tv.set("total", statsNode(stats.total()));
        } else {
            ArrayNode reasons = tv.putArray("reasons");
            stats.reasons().forEach(reasons::add);
        }
        return o;
    }

    static ObjectNode statsNode(TaskVectorStats s) {
        return Provenance.JSON.createObjectNode().put("norm_a", s.deltaNorm(0)).put("norm_b", s.deltaNorm(1))
                .put("relative_a", s.relativeDelta(0)).put("relative_b", s.relativeDelta(1)).put("cosine", s.cosine(0, 1))
                .put("sign_conflicts", s.signConflictRate(0, 1)).put("elements", s.elements);
    }

    private static ObjectNode node(Candidate c) {
        return Provenance.JSON.createObjectNode().put("id", c.shortId()).put("path", c.path().toString()).put("sha256", c.id());
    }

    public String json() {
        try {
            return Provenance.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
