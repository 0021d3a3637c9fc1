package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.lab.registry.ContentId;
import dev.mergelab.lab.web.BrowserHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's session, end to end with the real commands on a small family: merge, eval, soup, search, {@code lab
 * list}, {@code lab lineage}, then {@code lab serve} in headless Chromium showing what the commands recorded. Nothing
 * is inserted into the lab by hand.
 */
class LabSessionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void mergeEvalSoupSearchListLineageAndServeAreOneRecordedSession() throws Exception {
        Path chromium = BrowserHarness.assumeAvailable();
        Path fam = TinyFamily.make(tmp.resolve("family"));
        Path text = tmp.resolve("notes.txt");
        Files.writeString(text, "the cat sat on the mat. the dog sat on the log. a bird sang in the tree.\n".repeat(3));
        String ppl = "ppl:" + text;
        String lab = tmp.resolve("lab").toString();
        ok(cli("lab", "init", lab));

        Path recipe = tmp.resolve("ties.yml");
        Files.writeString(recipe, """
                merge_method: ties
                base_model: %1$s/base
                parameters: {density: 0.5, weight: 0.5}
                models:
                  - model: %1$s/ft1
                  - model: %1$s/ft2
                """.formatted(fam));
        Path merged = tmp.resolve("ties");
        ok(cli("merge", recipe.toString(), merged.toString(), "--lab", lab));
        ok(cli("eval", fam.resolve("base").toString(), fam.resolve("ft1").toString(), fam.resolve("ft2").toString(), merged.toString(),
                "--tasks", ppl, "--lab", lab));
        Path soup = tmp.resolve("soup");
        ok(cli("soup", "--models", fam.resolve("ft1") + "," + fam.resolve("ft2"), "--base", fam.resolve("base").toString(), "--mode", "greedy",
                "--tasks", ppl, soup.toString(), "--lab", lab));
        Path cfg = tmp.resolve("search.yml");
        Files.writeString(cfg, """
                genome:
                  models: [%1$s/ft1, %1$s/ft2]
                  merge_method: task_arithmetic
                  base_model: %1$s/base
                tasks:
                  - name: %2$s
                    weight: -1
                    metric: bits_per_byte,none
                optimizer:
                  population_size: 4
                """.formatted(fam, ppl));
        InProcessCli.Run search = ok(cli("search", cfg.toString(), tmp.resolve("search").toString(), "--max-evals", "6", "--seed", "1",
                "--json", "--lab", lab));
        JsonNode summary = JSON.readTree(search.out());
        assertEquals(6, summary.get("evaluations").asInt());

        // lab list: the three parents, the merge, the soup, the search's best, each in-memory child
        JsonNode list = JSON.readTree(ok(cli("lab", "list", "--json", "--lab", lab)).out());
        Map<String, String> kindById = new HashMap<>();
        Map<String, String> idByPath = new HashMap<>();
        list.forEach(c -> {
            kindById.put(c.get("id").asText(), c.get("kind").asText());
            idByPath.put(c.get("path").asText(), c.get("id").asText());
        });
        for (Path p : new Path[] {fam.resolve("base"), fam.resolve("ft1"), fam.resolve("ft2"), merged, soup, tmp.resolve("search/best")}) {
            assertTrue(idByPath.containsKey(p.toAbsolutePath().normalize().toString()), p + " is not in the lab: " + idByPath.keySet());
        }
        long virtual = kindById.values().stream().filter("virtual"::equals).count();
        assertTrue(virtual >= 6, "every trial of the soup and the search is a virtual candidate: " + virtual);
        String base = idByPath.get(fam.resolve("base").toAbsolutePath().normalize().toString());
        String best = idByPath.get(tmp.resolve("search/best").toAbsolutePath().normalize().toString());

        // lab lineage of the search's written best goes down to the base, with the method on its merge edges
        JsonNode lineage = JSON.readTree(ok(cli("lab", "lineage", tmp.resolve("search/best").toString(), "--json", "--lab", lab)).out());
        Set<String> nodes = new HashSet<>();
        lineage.get("nodes").forEach(n -> nodes.add(n.get("id").asText()));
        assertTrue(nodes.contains(base) && nodes.contains(best), lineage.toString());
        assertTrue(lineage.get("edges").toString().contains("\"method\":\"task_arithmetic\""), lineage.toString());

        // lab export: the whole lab, the search and the soup with every evaluation
        JsonNode dump = JSON.readTree(ok(cli("lab", "export", "--lab", lab)).out());
        Map<String, Integer> evaluations = new HashMap<>();
        dump.get("searches").forEach(x -> evaluations.put(x.get("kind").asText(), x.get("evaluations").size()));
        assertEquals(6, evaluations.get("search"));
        assertTrue(evaluations.get("soup") >= 3, evaluations.toString()); // each ingredient alone, then the soups tried
        assertEquals(list.size(), dump.get("candidates").size());

        // lab serve in Chromium: every page renders what the commands recorded
        try (BrowserHarness server = BrowserHarness.serve(Path.of(lab), tmp)) {
            ObjectNode plan = JSON.createObjectNode().put("base", server.base()).put("chromium", chromium.toString())
                    .put("candidate", s(best)).put("search", s(summary.get("search").asText())).put("kind", "virtual");
            plan.putNull("screenshots");
            plan.putArray("compare").add(s(idByPath.get(merged.toAbsolutePath().normalize().toString())))
                    .add(s(idByPath.get(soup.toAbsolutePath().normalize().toString())));
            plan.putArray("interference").add(s(base)).add(s(idByPath.get(fam.resolve("ft1").toAbsolutePath().normalize().toString())))
                    .add(s(idByPath.get(merged.toAbsolutePath().normalize().toString())));
            plan.putObject("sort").put("task", "ppl_notes").put("metric", "bits_per_byte,none");
            Path planFile = tmp.resolve("plan.json");
            Files.writeString(planFile, JSON.writeValueAsString(plan));
            JsonNode r = server.drive(planFile);

            assertEquals("[]", r.get("problems").toString());
            assertEquals(list.size(), r.get("initial").size(), "the table shows every candidate of lab list");
            Set<String> dag = new HashSet<>();
            r.get("candidate").get("nodes").forEach(n -> dag.add(n.get("id").asText()));
            assertTrue(dag.contains(s(base)) && dag.contains(s(best)), dag.toString());
            assertEquals(6, r.get("search").get("progressPoints").size(), "one point per evaluation of the search");
            assertEquals(3, r.get("interference").get("columns").size());
            assertTrue(r.get("searches").toString().contains(s(summary.get("search").asText())), r.get("searches").toString());
        }
    }

    private static InProcessCli.Run ok(InProcessCli.Run r) {
        assertEquals(0, r.code(), r.out() + r.err());
        return r;
    }

    private static String s(String id) {
        return ContentId.shortId(id);
    }
}
