package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.eval.Interference;
import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.Comparison;
import dev.mergelab.lab.registry.LabJsonViews;
import dev.mergelab.lab.registry.Lineage;
import dev.mergelab.lab.registry.Run;
import dev.mergelab.lab.registry.ScoreOrder;
import dev.mergelab.lab.registry.SearchRecords;
import dev.mergelab.lab.registry.StoredScore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The JSON of every view (the {@code /api/...} routes); the HTML pages are rendered from these same trees. Records
 * are written by the registry's own JSON views ({@link LabJsonViews}, {@link Lineage#toJson}, {@link Comparison#toJson})
 * wherever one exists, so {@code lab list --json}, {@code lab show --json} and the API print the same fields.
 */
final class LabApi {

    /** Largest model card read into a page. */
    static final int MODEL_CARD_LIMIT = 256 * 1024;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private LabApi() {
    }

    /**
     * {@code /api/candidates?sort=TASK,METRIC&reverse=1&kind=K}: {@code candidates} (each as {@code lab list --json}
     * prints it, plus {@code made_by}), the {@code score_columns} found in the lab, the {@code kinds} present, and the
     * order applied. {@code sort} ranks best first (lower first for perplexities, bits per byte, losses); unscored last.
     */
    static ObjectNode candidates(LabView lab, String sort, boolean reverse, String kind) {
        List<Candidate> all = lab.registry().candidates();
        List<StoredScore> scores = lab.registry().scores();
        Map<String, List<StoredScore>> byCandidate = scores.stream().collect(Collectors.groupingBy(StoredScore::candidate));
        Map<String, List<Run>> runs = lab.registry().runs().stream().collect(Collectors.groupingBy(Run::candidate));
        List<Candidate> shown = new ArrayList<>(all.stream().filter(c -> kind == null || kind.isEmpty() || c.kind().equals(kind)).toList());
        ObjectNode root = F.objectNode();
        if (sort != null && !sort.isEmpty()) {
            ScoreOrder order;
            try {
                order = ScoreOrder.parse(sort, scores);
            } catch (MergeLabException e) {
                throw new WebError(400, e.oneLine());
            }
            Comparator<Candidate> best = order.comparator(byCandidate);
            shown.sort(reverse ? reversedKeepingUnscoredLast(order, byCandidate) : best);
            root.putObject("sort").put("task", order.task()).put("metric", order.metric()).put("lower_is_better", order.lowerIsBetter())
                    .put("reverse", reverse);
        } else {
            root.putNull("sort");
        }
        ArrayNode columns = root.putArray("score_columns");
        Set<String> seen = new TreeSet<>();
        for (StoredScore s : scores) {
            if (seen.add(s.score().task() + "\t" + s.score().metric())) {
                columns.addObject().put("task", s.score().task()).put("metric", s.score().metric())
                        .put("lower_is_better", new ScoreOrder(s.score().task(), s.score().metric()).lowerIsBetter());
            }
        }
        ArrayNode kinds = root.putArray("kinds");
        all.stream().map(Candidate::kind).collect(Collectors.toCollection(TreeSet::new)).forEach(kinds::add);
        root.put("kind", kind == null || kind.isEmpty() ? null : kind);
        ArrayNode list = root.putArray("candidates");
        for (Candidate c : shown) {
            ObjectNode o = candidateJson(c, byCandidate.getOrDefault(c.id(), List.of()));
            List<Run> rs = runs.getOrDefault(c.id(), List.of());
            o.put("made_by", rs.isEmpty() ? null : rs.getLast().command() + (rs.getLast().method() == null ? "" : " " + rs.getLast().method()));
            list.add(o);
        }
        return root;
    }

    /** Best last, unscored still last: "reverse" flips the ranking, not where missing values go. */
    private static Comparator<Candidate> reversedKeepingUnscoredLast(ScoreOrder order, Map<String, List<StoredScore>> scores) {
        Comparator<Double> values = order.lowerIsBetter() ? Comparator.reverseOrder() : Comparator.naturalOrder();
        return Comparator.comparing((Candidate c) -> order.valueIn(scores.getOrDefault(c.id(), List.of())).orElse(null),
                Comparator.nullsLast(values));
    }

    /** A candidate as {@link LabJsonViews#candidate} writes it; an in-memory (virtual) child has no files to be present. */
    static ObjectNode candidateJson(Candidate c, List<StoredScore> scores) {
        ObjectNode o = LabJsonViews.candidate(c, scores);
        if (isVirtual(c)) {
            o.put("present", false).put("path", "");
        }
        return o;
    }

    static boolean isVirtual(Candidate c) {
        return c.kind().equals("virtual") || c.path().toString().isEmpty();
    }

    /**
     * {@code /api/candidates/{id}}: what {@code lab show --json} prints, with {@code present} right for in-memory
     * children, each parent's and child's full id ({@code sha256}), {@code kind} and {@code path},
     * {@code model_card}: the folder's README.md (null without one), and {@code search_evaluations}: every evaluation of
     * it by a search or soup ({@code search}, {@code search_kind}, {@code step}, {@code generation}, {@code fitness},
     * {@code recipe}, {@code objectives: [{task, metric, weight, value}]}), which is all an in-memory child has.
     */
    static ObjectNode candidate(LabView lab, Candidate c) {
        ObjectNode o = LabJsonViews.show(lab.registry(), c);
        if (isVirtual(c)) {
            o.put("present", false).put("path", "");
        }
        annotate(lab, (ArrayNode) o.get("parents"), lab.registry().parentsOf(c.id()).stream().map(dev.mergelab.lab.registry.Edge::parent).toList());
        annotate(lab, (ArrayNode) o.get("children"), lab.registry().childrenOf(c.id()).stream().map(dev.mergelab.lab.registry.Edge::child).toList());
        o.put("model_card", isVirtual(c) ? null : modelCard(c.path()));
        ArrayNode evals = o.putArray("search_evaluations");
        Map<String, List<SearchRecords.Objective>> objectives = new LinkedHashMap<>();
        for (SearchRecords.SearchEvaluation se : lab.searches().evaluationsOf(c.id())) {
            SearchRecords.Evaluation e = se.evaluation();
            ObjectNode n = evals.addObject().put("search", shortId(se.search())).put("search_kind", se.searchKind()).put("step", e.step())
                    .put("generation", e.generation()).put("fitness", e.fitness()).put("recipe", e.recipe());
            ArrayNode ov = n.putArray("objectives");
            List<SearchRecords.Objective> named = objectives.computeIfAbsent(se.search(),
                    id -> lab.searches().search(id).map(SearchRecords.Search::objectives).orElse(List.of()));
            for (int i = 0; i < e.objectives().size(); i++) {
                ObjectNode v = ov.addObject().put("value", e.objectives().get(i));
                if (i < named.size()) {
                    v.put("task", named.get(i).task()).put("metric", named.get(i).metric()).put("weight", named.get(i).weight());
                }
            }
        }
        return o;
    }

    /** Adds the other end's full id, kind and path to each edge of a candidate's parents or children (same order). */
    private static void annotate(LabView lab, ArrayNode edges, List<String> others) {
        for (int i = 0; i < edges.size() && i < others.size(); i++) {
            Candidate other = lab.registry().candidate(others.get(i)).orElse(null);
            ObjectNode e = (ObjectNode) edges.get(i);
            e.put("sha256", others.get(i)).put("kind", other == null ? null : other.kind())
                    .put("path", other == null || isVirtual(other) ? "" : other.path().toString());
        }
    }

    /** The README.md of a model folder, at most {@link #MODEL_CARD_LIMIT} bytes, undecodable bytes replaced; null when none. */
    static String modelCard(Path folder) {
        Path card = folder.resolve("README.md");
        if (!Files.isDirectory(folder) || !Files.isRegularFile(card)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(card)) {
            byte[] bytes = in.readNBytes(MODEL_CARD_LIMIT + 1);
            boolean clipped = bytes.length > MODEL_CARD_LIMIT;
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, MODEL_CARD_LIMIT))).toString();
            return clipped ? text + "\n[... clipped at " + MODEL_CARD_LIMIT / 1024 + " KiB]" : text;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * {@code /api/lineage/{id}}: {@code lab lineage --json}, with {@code base} on each edge (the parent was the merge's
     * base model) and the candidate's full id as {@code candidate}.
     */
    static ObjectNode lineage(LabView lab, Candidate c) {
        Lineage lineage = Lineage.of(lab.registry(), c);
        ObjectNode o = lineage.toJson();
        for (int i = 0; i < lineage.edges().size(); i++) {
            ((ObjectNode) o.get("edges").get(i)).put("base", lineage.edges().get(i).isBase());
        }
        for (JsonNode n : o.get("nodes")) {
            if (n.get("kind").asText().equals("virtual")) {
                ((ObjectNode) n).put("path", "");
            }
        }
        o.put("candidate", c.id());
        return o;
    }

    /**
     * {@code /api/compare?a=&b=[&base=]}: {@code lab compare --json}. When task vectors cannot be taken (no common
     * base, an adapter, an in-memory child, files gone) the scores are still compared and {@code task_vectors} holds
     * only {@code error}, the reason in one line.
     */
    static ObjectNode compare(LabView lab, Candidate a, Candidate b, Candidate base, int threads) {
        try {
            return Comparison.of(lab.registry(), a, b, base, threads).toJson();
        } catch (MergeLabException e) {
            ObjectNode o = F.objectNode();
            o.set("a", ref(a));
            o.set("b", ref(b));
            o.set("base", base == null ? F.nullNode() : ref(base));
            ArrayNode sc = o.putArray("scores");
            Map<String, ObjectNode> rows = new TreeMap<>();
            for (Candidate c : List.of(a, b)) {
                String side = c == a ? "a" : "b";
                for (StoredScore s : lab.registry().scores(c.id())) {
                    ObjectNode row = rows.computeIfAbsent(s.score().task() + "\t" + s.score().metric(), k -> F.objectNode()
                            .put("task", s.score().task()).put("metric", s.score().metric()).putNull("a").putNull("a_stderr").putNull("b").putNull("b_stderr"));
                    row.put(side, s.score().value()).put(side + "_stderr", s.score().stderr());
                }
            }
            rows.values().forEach(sc::add);
            o.putObject("task_vectors").put("error", e.oneLine());
            return o;
        }
    }

    private static ObjectNode ref(Candidate c) {
        return F.objectNode().put("id", c.shortId()).put("path", isVirtual(c) ? "" : c.path().toString()).put("sha256", c.id());
    }

    /**
     * {@code /api/interference?ids=A,B,C[&parents=A,B]}: eval's interference matrix over lab scores. Each task's
     * headline metric (the first {@code ,none} metric by name), each candidate's newest score on it, and that score
     * relative to the best parent's ({@link Interference}: above 1 is better than every parent, also for
     * lower-is-better metrics). The parents are {@code parents} when given, else the members of the set that another
     * member descends from.
     */
    static ObjectNode interference(LabView lab, List<Candidate> members, List<Candidate> parents) {
        if (members.isEmpty()) {
            throw new WebError(400, "name the candidates: /api/interference?ids=ID,ID,...");
        }
        Set<String> parentIds = new HashSet<>();
        if (parents.isEmpty()) {
            Set<String> memberIds = members.stream().map(Candidate::id).collect(Collectors.toSet());
            for (Candidate m : members) {
                for (String ancestor : lab.registry().ancestors(Set.of(m.id()))) {
                    if (memberIds.contains(ancestor)) {
                        parentIds.add(ancestor);
                    }
                }
            }
        } else {
            parents.forEach(p -> parentIds.add(p.id()));
        }
        List<Map<String, Map<String, Object>>> perModel = new ArrayList<>();
        List<Boolean> isParent = new ArrayList<>();
        for (Candidate m : members) {
            Map<String, Map<String, Object>> tasks = new TreeMap<>();
            Map<String, StoredScore> newest = new LinkedHashMap<>();
            for (StoredScore s : lab.registry().scores(m.id())) {
                newest.merge(s.score().task() + "\t" + s.score().metric(), s, (x, y) -> y.recordedAt().isAfter(x.recordedAt()) ? y : x);
            }
            for (StoredScore s : newest.values()) {
                tasks.computeIfAbsent(s.score().task(), t -> new TreeMap<>()).put(s.score().metric(), s.score().value());
            }
            perModel.add(tasks);
            isParent.add(parentIds.contains(m.id()));
        }
        ObjectNode o = F.objectNode();
        ArrayNode cs = o.putArray("candidates");
        for (int i = 0; i < members.size(); i++) {
            Candidate m = members.get(i);
            cs.addObject().put("id", m.shortId()).put("sha256", m.id()).put("kind", m.kind()).put("path", isVirtual(m) ? "" : m.path().toString())
                    .put("parent", isParent.get(i));
        }
        ArrayNode rows = o.putArray("rows");
        for (Interference.Row r : Interference.build(perModel, isParent)) {
            ObjectNode row = rows.addObject().put("task", r.task()).put("metric", r.metric()).put("higher_is_better", r.higherIsBetter());
            ArrayNode sc = row.putArray("scores");
            r.scores().forEach(sc::add);
            ArrayNode rel = row.putArray("relative");
            r.normalised().forEach(rel::add);
        }
        return o;
    }

    /** {@code /api/searches}: every search and soup, newest first. */
    static ArrayNode searches(LabView lab) {
        ArrayNode a = F.arrayNode();
        lab.searches().searches().forEach(s -> a.add(searchSummary(s)));
        return a;
    }

    static ObjectNode searchSummary(SearchRecords.Search s) {
        ObjectNode o = F.objectNode().put("id", shortId(s.id())).put("sha256", s.id()).put("kind", s.kind()).put("seed", s.seed())
                .put("out_path", s.outPath()).put("started_at", s.started().toString())
                .put("finished_at", s.finished() == null ? null : s.finished().toString())
                .put("best", s.best() == null ? null : shortId(s.best())).put("evaluation_count", s.evaluations()).put("best_fitness", s.bestFitness());
        ArrayNode obj = o.putArray("objectives");
        s.objectives().forEach(x -> obj.addObject().put("task", x.task()).put("metric", x.metric()).put("weight", x.weight()));
        return o;
    }

    /**
     * {@code /api/searches/{id}}: the summary, its configuration, every evaluation in order (objective values in the
     * order of {@code objectives}), per generation the best fitness in it and the best so far (the optimisers
     * minimise fitness), and {@code pareto_front}: the steps no other evaluation dominates on all objectives (a
     * positive weight maximises its objective, a negative one minimises it).
     */
    static ObjectNode search(LabView lab, SearchRecords.Search s) {
        ObjectNode o = searchSummary(s);
        o.set("config", s.config());
        List<SearchRecords.Evaluation> evals = lab.searches().evaluations(s.id());
        Map<String, String> kinds = new LinkedHashMap<>();
        ArrayNode es = o.putArray("evaluations");
        for (SearchRecords.Evaluation e : evals) {
            ObjectNode n = es.addObject().put("step", e.step()).put("generation", e.generation())
                    .put("candidate", e.candidate() == null ? null : shortId(e.candidate()));
            if (e.candidate() != null) {
                n.put("candidate_kind", kinds.computeIfAbsent(e.candidate(), id -> lab.registry().candidate(id).map(Candidate::kind).orElse(null)));
            }
            ArrayNode ov = n.putArray("objectives");
            e.objectives().forEach(ov::add);
            n.put("fitness", e.fitness()).put("merge_seconds", e.mergeSeconds()).put("eval_seconds", e.evalSeconds())
                    .put("recorded_at", e.recorded().toString()).put("recipe", e.recipe());
            n.set("genotype", e.genotype());
        }
        ArrayNode gens = o.putArray("generations");
        Map<Integer, List<SearchRecords.Evaluation>> byGen = evals.stream().collect(Collectors.groupingBy(SearchRecords.Evaluation::generation,
                TreeMap::new, Collectors.toList()));
        double bestSoFar = Double.POSITIVE_INFINITY;
        for (Map.Entry<Integer, List<SearchRecords.Evaluation>> g : byGen.entrySet()) {
            double[] f = g.getValue().stream().mapToDouble(SearchRecords.Evaluation::fitness).sorted().toArray();
            bestSoFar = Math.min(bestSoFar, f[0]);
            double median = f.length % 2 == 1 ? f[f.length / 2] : (f[f.length / 2 - 1] + f[f.length / 2]) / 2;
            gens.addObject().put("generation", g.getKey()).put("evaluations", f.length).put("last_step", g.getValue().getLast().step())
                    .put("best_fitness", f[0]).put("median_fitness", median).put("best_so_far", bestSoFar);
        }
        ArrayNode front = o.putArray("pareto_front");
        if (s.objectives().size() >= 2) {
            List<Boolean> maximise = s.objectives().stream().map(SearchRecords.Objective::maximise).toList();
            List<List<Double>> points = evals.stream().map(SearchRecords.Evaluation::objectives).toList();
            for (int i : Pareto.front(points, maximise)) {
                front.add(evals.get(i).step());
            }
        }
        return o;
    }

    static String shortId(String id) {
        return dev.mergelab.lab.registry.ContentId.shortId(id);
    }

    /** Candidates named in a query value: comma-separated and/or repeated, in order, each once. */
    static List<Candidate> candidates(LabView lab, List<String> values) {
        Set<String> names = new LinkedHashSet<>();
        for (String v : values) {
            for (String part : v.split(",")) {
                if (!part.isBlank()) {
                    names.add(part.strip());
                }
            }
        }
        Map<String, Candidate> out = new LinkedHashMap<>();
        for (String n : names) {
            Candidate c = lab.candidate(n);
            out.putIfAbsent(c.id(), c);
        }
        return List.copyOf(out.values());
    }
}
