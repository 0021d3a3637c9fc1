package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.engine.FileHashes;
import dev.mergelab.lab.TaskVectorStats;
import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.ContentId;
import dev.mergelab.lab.registry.Edge;
import dev.mergelab.lab.registry.LabRecorder;
import dev.mergelab.lab.registry.ModelIdentity;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.Score;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab through the real CLI on a generated family: merges and LoRA commands record candidates, parents, recipes,
 * parameters and runs; lineage, compare, gc, list and show read them back; ids are content ids.
 */
class LabCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RECORDED = Pattern.compile("lab: recorded new candidate ([0-9a-f]{12}) \\(run (\\d+)\\)");

    @TempDir
    static Path shared;
    static Path fam;

    @TempDir
    Path tmp;
    Path lab;

    @BeforeAll
    static void family() throws Exception {
        fam = shared.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32), fam, 2);
    }

    @BeforeEach
    void newLab() {
        lab = tmp.resolve("lab");
        Run r = cli("lab", "init", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("created lab at " + lab + " (schema version 2)\n", r.out());
    }

    Path recipe(String name, String yaml) throws Exception {
        Path p = tmp.resolve(name + ".yml");
        Files.writeString(p, yaml.replace("FAM", fam.toString()).replace("TMP", tmp.toString()));
        return p;
    }

    Path ties() throws Exception {
        return recipe("ties", """
                merge_method: ties
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.6, density: 0.5}
                  - model: FAM/ft2
                    parameters: {weight: [0.2, 0.8], density: 0.5}
                parameters: {normalize: true}
                """);
    }

    /** Runs a recording command and returns the short id it reported for a new candidate. */
    String recordNew(String... args) {
        Run r = cli(args);
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        Matcher m = RECORDED.matcher(r.out());
        assertTrue(m.find(), r.out());
        return m.group(1);
    }

    String merge(Path recipe, Path out) {
        return recordNew("merge", recipe.toString(), out.toString(), "--quiet", "--lab", lab.toString());
    }

    /** The content id computed here from the manifest, independently of the registry. */
    static String manifestId(Path dir) throws Exception {
        JsonNode files = JSON.readTree(dir.resolve("mergelab_manifest.json").toFile()).get("files");
        StringBuilder sb = new StringBuilder();
        Set<String> names = new TreeSet<>();
        files.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            if (!name.equals("README.md") && !name.equals("extraction_report.json")) {
                sb.append(files.get(name).get("sha256").asText()).append(' ').append(files.get(name).get("size").asLong()).append(' ')
                        .append(name).append('\n');
            }
        }
        return FileHashes.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    Registry registry() {
        return Registry.open(lab, Registry.COMMAND_BUSY_MILLIS);
    }

    @Test
    void aMergeIsRecordedWithParentsRecipeParametersAndRun() throws Exception {
        Path out = tmp.resolve("m1");
        Path recipe = ties();
        String id = merge(recipe, out);
        try (Registry reg = registry()) {
            Candidate c = reg.resolve(id);
            assertEquals(manifestId(out), c.id());
            assertEquals(out.toString(), c.path().toString());
            assertEquals("model", c.kind());
            assertEquals("F32", c.dtype());
            assertEquals("LlamaForCausalLM", c.architecture());
            long size = 0;
            JsonNode manifest = JSON.readTree(out.resolve("mergelab_manifest.json").toFile()).get("files");
            for (var f : c.files().entrySet()) {
                size += Files.size(out.resolve(f.getKey()));
                assertEquals(manifest.get(f.getKey()).get("sha256").asText(), f.getValue().sha256());
            }
            assertEquals(size, c.size());
            assertFalse(c.files().containsKey("README.md"));
            assertTrue(c.files().containsKey("model.safetensors") && c.files().containsKey("config.json"), c.files().toString());

            List<Edge> parents = reg.parentsOf(c.id());
            assertEquals(List.of("base", "ft1", "ft2"), parents.stream().map(e -> reg.candidate(e.parent()).orElseThrow().path()
                    .getFileName().toString()).toList());
            for (Edge e : parents) {
                assertEquals("merge", e.relation());
                assertEquals("ties", e.method());
                // a parent met for the first time is a root with its own content id, the same whenever computed
                Candidate p = reg.candidate(e.parent()).orElseThrow();
                assertEquals(ModelIdentity.of(p.path()).id(), p.id());
                assertEquals(0, p.runs());
                assertTrue(reg.parentsOf(p.id()).isEmpty());
            }
            assertTrue(parents.get(0).isBase());
            assertFalse(parents.get(1).isBase());
            assertEquals("{\"density\":0.5,\"weight\":0.6}", parents.get(1).parameters().toString());
            // ft2's weight is a gradient over the 4 layers: a value per run of tensors (embeddings, norm and head at t = 0)
            JsonNode w2 = parents.get(2).parameters().get("weight");
            assertTrue(w2.isObject(), w2.toString());
            Set<Long> distinct = new TreeSet<>();
            w2.forEach(v -> distinct.add(Math.round(v.asDouble() * 1000)));
            assertEquals(Set.of(200L, 400L, 600L, 800L), distinct);
            assertEquals(0.2, w2.get("model.embed_tokens.weight..model.layers.0.self_attn.v_proj.weight").asDouble(), 1e-12, w2.toString());
            assertEquals(0.2, last(w2).asDouble(), 1e-12);
            assertEquals(0.5, parents.get(2).parameters().get("density").asDouble());

            List<dev.mergelab.lab.registry.Run> runs = reg.runs(c.id());
            assertEquals(1, runs.size());
            dev.mergelab.lab.registry.Run run = runs.getFirst();
            Recipe parsed = Recipe.parse(recipe);
            assertEquals("merge", run.command());
            assertEquals("ties", run.method());
            assertEquals(parsed.toYaml(), run.recipe());
            assertEquals(parsed.canonicalSha256(), run.recipeSha256());
            assertEquals("{\"normalize\":true,\"random_seed\":0}", run.parameters().toString());
            assertEquals(dev.mergelab.Version.VERSION, run.toolVersion());
            assertFalse(run.host().isBlank());
            assertTrue(run.seconds() > 0 && run.started().isBefore(java.time.Instant.now()));
            assertEquals(out.toString(), run.outPath().toString());
        }
    }

    static JsonNode last(JsonNode o) {
        JsonNode v = null;
        for (JsonNode x : o) {
            v = x;
        }
        return v;
    }

    @Test
    void theSameRecipeOnTheSameInputsIsOneCandidateWithTwoRuns() throws Exception {
        Path recipe = ties();
        String id = merge(recipe, tmp.resolve("first"));
        int before;
        try (Registry reg = registry()) {
            before = reg.candidates().size();
        }
        // the same recipe into another folder: the same content, so the same candidate
        Run r = cli("merge", recipe.toString(), tmp.resolve("second").toString(), "--quiet", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("lab: recorded run 2 of existing candidate " + id + " (same content; 2 runs)"), r.out());
        try (Registry reg = registry()) {
            assertEquals(before, reg.candidates().size());
            Candidate c = reg.resolve(id);
            assertEquals(2, c.runs());
            assertEquals(3, reg.parentsOf(c.id()).size()); // edges are not duplicated
            assertEquals(tmp.resolve("second"), c.path()); // last seen there
            assertEquals(List.of(tmp.resolve("first"), tmp.resolve("second")), reg.runs(c.id()).stream().map(x -> x.outPath()).toList());
        }
        // a different recipe is a different candidate
        Path other = recipe("ties-other", Files.readString(recipe).replace("weight: 0.6", "weight: 0.7"));
        assertNotEquals(id, merge(other, tmp.resolve("third")));
    }

    @Test
    void lineageOfATwoStageMergeAsJsonAndDot() throws Exception {
        Path m1 = tmp.resolve("m1");
        String id1 = merge(ties(), m1);
        Path slerp = recipe("slerp", """
                merge_method: slerp
                base_model: TMP/m1
                models:
                  - model: TMP/m1
                  - model: FAM/ft3
                parameters: {t: 0.3}
                """);
        String id2 = merge(slerp, tmp.resolve("m2"));
        Map<String, String> ids = new TreeMap<>();
        for (String name : List.of("base", "ft1", "ft2", "ft3")) {
            ids.put(name, ContentId.shortId(ModelIdentity.of(fam.resolve(name)).id()));
        }
        ids.put("m1", id1);
        ids.put("m2", id2);

        Run r = cli("lab", "lineage", id2, "--json", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode g = JSON.readTree(r.out());
        assertEquals(Set.of("nodes", "edges"), fields(g));
        List<String> nodeIds = new ArrayList<>();
        for (JsonNode n : g.get("nodes")) {
            assertEquals(Set.of("id", "path", "kind", "sha256"), fields(n));
            assertEquals("model", n.get("kind").asText());
            assertEquals(n.get("id").asText(), n.get("sha256").asText().substring(0, 12));
            nodeIds.add(n.get("id").asText());
        }
        assertEquals(id2, nodeIds.getFirst()); // the candidate first, then breadth first
        assertEquals(new TreeSet<>(ids.values()), new TreeSet<>(nodeIds));
        Set<String> edges = new TreeSet<>();
        for (JsonNode e : g.get("edges")) {
            assertEquals(Set.of("from", "to", "relation", "method", "parameters"), fields(e));
            edges.add(name(ids, e.get("from").asText()) + "->" + name(ids, e.get("to").asText()) + " " + e.get("relation").asText() + " "
                    + e.get("method").asText());
        }
        assertEquals(Set.of("base->m1 merge ties", "ft1->m1 merge ties", "ft2->m1 merge ties", "m1->m2 merge slerp", "ft3->m2 merge slerp"),
                edges);
        JsonNode ft1Edge = find(g.get("edges"), ids.get("ft1"));
        assertEquals(0.6, ft1Edge.get("parameters").get("weight").asDouble());

        // stable: the same answer again, and by path instead of id
        Run byPath = cli("lab", "lineage", tmp.resolve("m2").toString(), "--json", "--lab", lab.toString());
        assertEquals(r.out(), byPath.out());

        Run dot = cli("lab", "lineage", id2, "--dot", "--lab", lab.toString());
        assertEquals(0, dot.code(), dot.err());
        assertTrue(dot.out().startsWith("digraph lineage {"), dot.out());
        assertTrue(dot.out().contains("\"" + id1 + "\" -> \"" + id2 + "\" [label=\"merge slerp (base)"), dot.out());
        assertTrue(dot.out().contains("\"" + ids.get("ft1") + "\" -> \"" + id1 + "\" [label=\"merge ties\\ndensity=0.5\\nweight=0.6\"]"),
                dot.out());
        assertEquals(5, dot.out().lines().filter(l -> l.contains(" -> ")).count());

        Run text = cli("lab", "lineage", id2, "--lab", lab.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("merge ties density=0.5 weight=0.2..0.8 (varies by tensor): " + ids.get("ft2")), text.out());
    }

    static Set<String> fields(JsonNode n) {
        Set<String> s = new TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }

    static String name(Map<String, String> ids, String id) {
        return ids.entrySet().stream().filter(e -> e.getValue().equals(id)).map(Map.Entry::getKey).findFirst().orElse(id);
    }

    static JsonNode find(JsonNode edges, String from) {
        for (JsonNode e : edges) {
            if (e.get("from").asText().equals(from)) {
                return e;
            }
        }
        throw new AssertionError("no edge from " + from);
    }

    @Test
    void loraExtractThenApplyIsAChainOfAdapterAndFinetuneEdges() throws Exception {
        Path adapter = tmp.resolve("ad");
        // LoRA factors only (no saved modules), so lora merge below can combine it
        String ad = recordNew("lora", "extract", "--base", fam.resolve("base").toString(), "--model", fam.resolve("ft1").toString(),
                "--rank", "4", "--embed-lora", "--skip-undecomposable", "--quiet", adapter.toString(), "--lab", lab.toString());
        Path applied = tmp.resolve("applied");
        String ap = recordNew("lora", "apply", fam.resolve("base").toString(), adapter.toString(), applied.toString(), "--quiet",
                "--lab", lab.toString());
        String base = ContentId.shortId(ModelIdentity.of(fam.resolve("base")).id());
        String ft1 = ContentId.shortId(ModelIdentity.of(fam.resolve("ft1")).id());
        Run r = cli("lab", "lineage", ap, "--json", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode g = JSON.readTree(r.out());
        Set<String> edges = new TreeSet<>();
        for (JsonNode e : g.get("edges")) {
            edges.add(e.get("from").asText() + "->" + e.get("to").asText() + " " + e.get("relation").asText());
            assertTrue(e.get("method").isNull() && e.get("parameters").isNull(), e.toString());
        }
        assertEquals(Set.of(base + "->" + ap + " finetune", ad + "->" + ap + " adapter", base + "->" + ad + " adapter",
                ft1 + "->" + ad + " finetune"), edges);
        try (Registry reg = registry()) {
            Candidate a = reg.resolve(ad);
            assertEquals("adapter", a.kind());
            assertEquals(manifestId(adapter), a.id()); // the adapter writer's manifest, minus the report with the command line
            dev.mergelab.lab.registry.Run run = reg.runs(a.id()).getFirst();
            assertEquals("lora extract", run.command());
            assertTrue(run.recipe().startsWith("mergelab lora extract --base "), run.recipe());
            assertEquals(4, run.parameters().get("rank").asInt());
            assertTrue(run.parameters().get("embed_lora").asBoolean() && run.parameters().get("skip_undecomposable").asBoolean());
            assertEquals("lora apply", reg.runs(reg.resolve(ap).id()).getFirst().command());
        }
        // lora merge: an adapter of the base, merged from two adapters with their weights
        Path adapter2 = tmp.resolve("ad2");
        String ad2 = recordNew("lora", "extract", "--base", fam.resolve("base").toString(), "--model", fam.resolve("ft2").toString(),
                "--rank", "4", "--embed-lora", "--skip-undecomposable", "--quiet", adapter2.toString(), "--lab", lab.toString());
        Path loraRecipe = recipe("lora-merge", """
                base_model: FAM/base
                combination_type: linear
                adapters:
                  - {adapter: TMP/ad, weight: 0.7}
                  - {adapter: TMP/ad2, weight: 0.3}
                """);
        String lm = recordNew("lora", "merge", loraRecipe.toString(), tmp.resolve("lm").toString(), "--lab", lab.toString());
        try (Registry reg = registry()) {
            List<String> into = reg.parentsOf(reg.resolve(lm).id()).stream().map(e -> ContentId.shortId(e.parent()) + " " + e.relation()
                    + " " + e.method() + " " + e.parameters() + (e.isBase() ? " base" : "")).toList();
            assertEquals(List.of(base + " adapter null null base", ad + " merge linear {\"weight\":0.7}",
                    ad2 + " merge linear {\"weight\":0.3}"), into);
            dev.mergelab.lab.registry.Run run = reg.runs(reg.resolve(lm).id()).getFirst();
            assertEquals("lora merge", run.command());
            assertEquals(Files.readString(loraRecipe), run.recipe());
            assertEquals("adapter", reg.resolve(lm).kind());
        }
        // a recipe parent BASE+ADAPTER contributes its base as a merge parent and its adapter by an adapter edge
        String merged = merge(recipe("adapted", """
                merge_method: linear
                models:
                  - model: FAM/ft2
                    parameters: {weight: 0.5}
                  - model: FAM/base+TMP/ad
                    parameters: {weight: 0.5}
                """), tmp.resolve("adapted"));
        String ft2 = ContentId.shortId(ModelIdentity.of(fam.resolve("ft2")).id());
        JsonNode m = JSON.readTree(cli("lab", "lineage", merged, "--json", "--lab", lab.toString()).out());
        List<String> into = new ArrayList<>();
        for (JsonNode e : m.get("edges")) {
            if (e.get("to").asText().equals(merged)) {
                into.add(e.get("from").asText() + " " + e.get("relation").asText() + " " + e.get("parameters"));
            }
        }
        assertEquals(List.of(ft2 + " merge {\"weight\":0.5}", base + " merge {\"weight\":0.5}", ad + " adapter null"), into);
    }

    @Test
    void gcForgetsWhatIsGoneButKeepsMissingAncestorsOfPresentCandidates() throws Exception {
        Path m1 = tmp.resolve("m1");
        String id1 = merge(ties(), m1);
        Path slerp = recipe("slerp", """
                merge_method: slerp
                base_model: FAM/base
                models:
                  - model: FAM/base
                  - model: TMP/m1
                parameters: {t: 0.5}
                """);
        Path m2 = tmp.resolve("m2");
        String id2 = merge(slerp, m2);
        OutputDirs.delete(m1);
        Run r = cli("lab", "gc", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("kept   " + id1), r.out());
        assertTrue(r.out().endsWith("gc: forgot 0 candidates, kept 1 missing ancestor\n"), r.out());
        Run list = cli("lab", "list", "--lab", lab.toString());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id1) && l.endsWith(m1 + " (missing)")), list.out());

        OutputDirs.delete(m2);
        r = cli("lab", "gc", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("forgot " + id2 + "  " + m2) && r.out().contains("forgot " + id1 + "  " + m1), r.out());
        try (Registry reg = registry()) {
            assertEquals(Set.of("base", "ft1", "ft2"), new TreeSet<>(reg.candidates().stream().map(c -> c.path().getFileName().toString())
                    .toList()));
            assertTrue(reg.edges().isEmpty());
            assertTrue(reg.runs().isEmpty());
        }
    }

    @Test
    void aFolderReplacedWithForceHoldsTheNewCandidateAndTheOldOneIsGone() throws Exception {
        Path out = tmp.resolve("out");
        String first = merge(ties(), out);
        Path other = recipe("other", Files.readString(ties()).replace("weight: 0.6", "weight: 0.9"));
        String second = recordNew("merge", other.toString(), out.toString(), "--force", "--quiet", "--lab", lab.toString());
        assertNotEquals(first, second);
        Run show = cli("lab", "show", out.toString(), "--lab", lab.toString());
        assertTrue(show.out().startsWith("candidate    " + second), show.out());
        Run list = cli("lab", "list", "--lab", lab.toString());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(first) && l.endsWith(" (missing)")), list.out());
        Run gc = cli("lab", "gc", "--lab", lab.toString());
        assertEquals("forgot " + first + "  " + out + "\ngc: forgot 1 candidate, kept 0 missing ancestors\n", gc.out());
    }

    @Test
    void compareGivesScoresAndTheTaskVectorStatisticsOfCompat() throws Exception {
        Path a = tmp.resolve("a");
        String idA = merge(ties(), a);
        Path ta = recipe("ta", """
                merge_method: task_arithmetic
                base_model: FAM/base
                models:
                  - model: FAM/ft2
                    parameters: {weight: 0.5}
                  - model: FAM/ft3
                    parameters: {weight: 0.5}
                """);
        Path b = tmp.resolve("b");
        String idB = merge(ta, b);
        LabRecorder rec = new LabRecorder(lab, Map.of(), tmp);
        List<String> warnings = new ArrayList<>();
        rec.recordScores(a, List.of(new Score("arc_easy", "acc,none", 0.61, 0.02, 100L, "ab".repeat(32), "test")), warnings::add);
        rec.recordScores(b, List.of(new Score("arc_easy", "acc,none", 0.64, 0.02, 100L, "ab".repeat(32), "test")), warnings::add);
        assertEquals(List.of(), warnings);

        Run r = cli("lab", "compare", idA, b.toString(), "--json", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(fam.resolve("base").toString(), j.get("base").get("path").asText());
        assertEquals(0.61, j.get("scores").get(0).get("a").asDouble());
        assertEquals(0.64, j.get("scores").get(0).get("b").asDouble());

        // the statistics, computed here straight from TaskVectorStats over every tensor
        TaskVectorStats want = new TaskVectorStats(2);
        try (ModelSource base = ModelSource.open(fam.resolve("base"), "base"); ModelSource ma = ModelSource.open(a, "a");
                ModelSource mb = ModelSource.open(b, "b")) {
            for (TensorRef t : base.tensors().values()) {
                want.add(t, new TensorRef[] {ma.tensor(t.name()), mb.tensor(t.name())});
            }
        }
        JsonNode total = j.get("task_vectors").get("total");
        assertEquals(want.deltaNorm(0), total.get("norm_a").asDouble(), 1e-9 * want.deltaNorm(0));
        assertEquals(want.deltaNorm(1), total.get("norm_b").asDouble(), 1e-9 * want.deltaNorm(1));
        assertEquals(want.cosine(0, 1), total.get("cosine").asDouble(), 1e-9);
        assertEquals(want.signConflictRate(0, 1), total.get("sign_conflicts").asDouble(), 1e-12);
        assertEquals(want.elements, total.get("elements").asLong());
        assertTrue(want.cosine(0, 1) > 0.1 && want.signConflictRate(0, 1) > 0, "a comparison that says something");
        // per layer: layers 0-3 and the rest (-1), summing to the total
        double sq = 0;
        for (JsonNode l : j.get("task_vectors").get("layers")) {
            sq += l.get("norm_a").asDouble() * l.get("norm_a").asDouble();
        }
        assertEquals(5, j.get("task_vectors").get("layers").size());
        assertEquals(want.deltaSq[0], sq, 1e-9 * sq);

        Run text = cli("lab", "compare", idA, idB, "--lab", lab.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("arc_easy                 acc,none"), text.out());
        assertTrue(text.out().lines().anyMatch(l -> l.startsWith("all ")), text.out());
    }

    @Test
    void scoresRankTheListAndReplaceTheirEarlierValue() throws Exception {
        String idA = merge(ties(), tmp.resolve("a"));
        String idB = merge(recipe("lin", """
                merge_method: linear
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.5}
                  - model: FAM/ft3
                    parameters: {weight: 0.5}
                """), tmp.resolve("b"));
        LabRecorder rec = new LabRecorder(lab, Map.of(), tmp);
        rec.recordScores(tmp.resolve("a"), List.of(new Score("wiki", "word_perplexity,none", 20.0, null, null, null, null)), w -> { });
        rec.recordScores(tmp.resolve("b"), List.of(new Score("wiki", "word_perplexity,none", 30.0, null, null, null, null)), w -> { });
        Run r = cli("lab", "list", "--sort", "wiki", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        List<String> rows = r.out().lines().skip(1).toList();
        assertTrue(rows.get(0).startsWith(idA) && rows.get(1).startsWith(idB), r.out()); // lower perplexity first
        // re-evaluating replaces the value: now b is better
        rec.recordScores(tmp.resolve("a"), List.of(new Score("wiki", "word_perplexity,none", 40.0, null, null, null, null)), w -> { });
        r = cli("lab", "list", "--sort", "wiki,word_perplexity,none", "--json", "--lab", lab.toString());
        JsonNode list = JSON.readTree(r.out());
        assertEquals(idB, list.get(0).get("id").asText());
        assertEquals(idA, list.get(1).get("id").asText());
        assertEquals(1, list.get(1).get("scores").size());
        assertEquals(40.0, list.get(1).get("scores").get(0).get("value").asDouble());
        assertTrue(list.get(1).get("scores").get(0).get("limit").isNull()); // the whole task

        // a model never seen gets registered as a root when it is scored
        Run show = cli("lab", "show", fam.resolve("ft2").toString(), "--lab", lab.toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("parents      none"), show.out());

        Run bad = cli("lab", "list", "--sort", "nosuchtask", "--lab", lab.toString());
        assertEquals(2, bad.code());
        assertEquals("mergelab: no scores for task 'nosuchtask' in the lab (tasks with scores: wiki)\n", bad.err());

        Run export = cli("lab", "export", "--lab", lab.toString());
        assertEquals(0, export.code(), export.err());
        JsonNode dump = JSON.readTree(export.out());
        assertEquals(2, dump.get("schema_version").asInt());
        assertEquals(6, dump.get("candidates").size()); // base, ft1, ft2, ft3, a, b
        assertEquals(5, dump.get("edges").size());
    }

    @Test
    void badIdsAreOneLineAndExit2() throws Exception {
        merge(ties(), tmp.resolve("m"));
        for (String[] c : new String[][] {
            {"zz", "'zz' is neither a candidate id nor an existing path"},
            {"12", "'12' is neither a candidate id nor an existing path"},
            {"0000000", "no candidate 0000000 in the lab"},
            {fam.resolve("ft3").toString(), fam.resolve("ft3") + " is not in the lab"}}) {
            for (String cmd : List.of("show", "lineage")) {
                Run r = cli("lab", cmd, c[0], "--lab", lab.toString());
                assertEquals(2, r.code(), r.err());
                assertTrue(r.err().startsWith("mergelab: " + c[1]), r.err());
                assertEquals(1, r.err().lines().count(), r.err());
                assertEquals("", r.out());
            }
        }
        // two ids that share a prefix: the prefix is ambiguous, one more digit is not
        try (Registry reg = registry()) {
            for (String id : List.of("abcd1" + "0".repeat(59), "abcd2" + "0".repeat(59))) {
                reg.register(new ModelIdentity(id, tmp.resolve(id.substring(0, 5)), "model", 1, null, null, new TreeMap<>()));
            }
        }
        Run ambiguous = cli("lab", "show", "ABCD", "--lab", lab.toString());
        assertEquals(2, ambiguous.code());
        assertEquals("mergelab: id ABCD is ambiguous: abcd10000000, abcd20000000 (give more digits)\n", ambiguous.err());
        assertEquals(0, cli("lab", "show", "abcd2", "--lab", lab.toString()).code());
        // a file that is not a model is named as such
        Run notModel = cli("lab", "show", ties().toString(), "--lab", lab.toString());
        assertEquals(2, notModel.code());
        assertEquals("mergelab: " + ties() + " is not a model folder, .safetensors or .gguf file (the lab records models by their files)\n",
                notModel.err());
        Run r = cli("lab", "compare", "zz", "m", "--lab", lab.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        Run noLab = cli("lab", "list", "--lab", tmp.resolve("nolab").toString());
        assertEquals(2, noLab.code());
        assertTrue(noLab.err().startsWith("mergelab: " + tmp.resolve("nolab") + " (--lab) is not a MergeLab lab"), noLab.err());
    }

    @Test
    void withoutALabNothingIsRecordedAndTheOutputIsUnchanged() throws Exception {
        Run r = cli("merge", ties().toString(), tmp.resolve("plain").toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertFalse(r.out().contains("lab:"), r.out());
        assertEquals(1, r.out().lines().count(), r.out());
        // the merge's output is the same whether a lab records it or not
        merge(ties(), tmp.resolve("recorded"));
        assertEquals(hashes(tmp.resolve("plain")), hashes(tmp.resolve("recorded")));
    }

    static Map<String, String> hashes(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (!p.getFileName().toString().equals("README.md") && !p.getFileName().toString().equals("mergelab_manifest.json")) {
                    out.put(p.getFileName().toString(), FileHashes.sha256(p));
                }
            }
        }
        return out;
    }

    /** Folder deletion for the gc test. */
    static final class OutputDirs {
        static void delete(Path dir) throws Exception {
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
