package dev.mergelab.lab.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.Version;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The JSON forms of the registry's records, shared by {@code lab list --json}, {@code lab show --json},
 * {@code lab export} and (later) the web view's {@code /api/...}, so they all print the same fields.
 */
public final class LabJsonViews {

    private LabJsonViews() {
    }

    public static ObjectNode candidate(Candidate c, List<StoredScore> scores) {
        ObjectNode o = Provenance.JSON.createObjectNode();
        o.put("id", c.shortId()).put("sha256", c.id()).put("kind", c.kind()).put("path", c.path().toString()).put("present", c.present())
                .put("size", c.size()).put("dtype", c.dtype()).put("architecture", c.architecture()).put("runs", c.runs())
                .put("first_seen", c.firstSeen().toString()).put("last_seen", c.lastSeen().toString());
        ArrayNode sc = o.putArray("scores");
        scores.forEach(s -> sc.add(score(s)));
        return o;
    }

    public static ObjectNode score(StoredScore s) {
        Score v = s.score();
        return Provenance.JSON.createObjectNode().put("task", v.task()).put("metric", v.metric()).put("value", v.value())
                .put("stderr", v.stderr()).put("limit", v.limit()).put("data_sha256", v.dataSha256()).put("evaluator", v.evaluator())
                .put("recorded_at", s.recordedAt().toString());
    }

    public static ObjectNode run(Run r) {
        ObjectNode o = Provenance.JSON.createObjectNode();
        o.put("run", r.number()).put("command", r.command()).put("method", r.method()).put("tool_version", r.toolVersion())
                .put("host", r.host()).put("started_at", r.started().toString()).put("seconds", r.seconds())
                .put("out_path", r.outPath().toString()).put("recipe_sha256", r.recipeSha256()).put("recipe", r.recipe());
        o.set("parameters", r.parameters());
        return o;
    }

    public static ObjectNode edge(Edge e) {
        ObjectNode o = Provenance.JSON.createObjectNode().put("from", ContentId.shortId(e.parent())).put("to", ContentId.shortId(e.child()))
                .put("relation", e.relation()).put("method", e.method());
        o.set("parameters", e.parameters());
        return o.put("base", e.isBase());
    }

    /** One candidate in full: its record, parents, children and runs (what {@code lab show --json} prints). */
    public static ObjectNode show(Registry registry, Candidate c) {
        ObjectNode o = candidate(c, registry.scores(c.id()));
        ArrayNode parents = o.putArray("parents");
        registry.parentsOf(c.id()).forEach(e -> parents.add(edge(e)));
        ArrayNode children = o.putArray("children");
        registry.childrenOf(c.id()).forEach(e -> children.add(edge(e)));
        ArrayNode runs = o.putArray("run_records");
        registry.runs(c.id()).forEach(r -> runs.add(run(r)));
        return o;
    }

    /** The whole lab: every candidate with its runs and scores, every edge, every search and soup with its evaluations ({@code lab export}). */
    public static ObjectNode export(Registry registry) {
        ObjectNode o = Provenance.JSON.createObjectNode();
        o.put("lab", registry.lab().toString()).put("schema_version", registry.schemaVersion()).put("tool_version", Version.VERSION);
        Map<String, List<StoredScore>> scores = registry.scores().stream().collect(Collectors.groupingBy(StoredScore::candidate));
        Map<String, List<Run>> runs = registry.runs().stream().collect(Collectors.groupingBy(Run::candidate));
        ArrayNode cs = o.putArray("candidates");
        for (Candidate c : registry.candidates()) {
            ObjectNode n = candidate(c, scores.getOrDefault(c.id(), List.of()));
            ObjectNode files = n.putObject("files");
            c.files().forEach((name, f) -> files.putObject(name).put("size", f.size()).put("sha256", f.sha256()));
            ArrayNode rs = n.putArray("run_records");
            runs.getOrDefault(c.id(), List.of()).forEach(r -> rs.add(run(r)));
            cs.add(n);
        }
        ArrayNode es = o.putArray("edges");
        registry.edges().forEach(e -> es.add(edge(e)));
        ArrayNode ss = o.putArray("searches");
        SearchLog log = registry.searchLog();
        for (SearchLog.Search s : log.all()) {
            ObjectNode n = ss.addObject().put("id", s.id()).put("kind", s.kind()).put("seed", s.seed())
                    .put("out_path", s.outPath().toString()).put("started_at", s.startedAt().toString())
                    .put("finished_at", s.finishedAt() == null ? null : s.finishedAt().toString()).put("best", s.best());
            n.set("config", s.config());
            n.set("objectives", s.objectives());
            ArrayNode evals = n.putArray("evaluations");
            for (SearchLog.Eval e : log.evals(s.id())) {
                ObjectNode x = evals.addObject().put("step", e.step()).put("generation", e.generation()).put("candidate", e.candidate())
                        .put("fitness", e.fitness()).put("merge_seconds", e.mergeSeconds()).put("eval_seconds", e.evalSeconds())
                        .put("recorded_at", e.recordedAt() == null ? null : e.recordedAt().toString()).put("recipe", e.recipe());
                x.set("genotype", e.genotype());
                x.set("objectives", e.objectives());
            }
        }
        return o;
    }

    public static String pretty(JsonNode node) {
        try {
            return Provenance.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
