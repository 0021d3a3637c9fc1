package dev.mergelab.lab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.lab.registry.ContentId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./mergelab lab serve} end to end in a real browser: the launcher serves a lab filled by {@link WebLab} on a
 * free port, {@code scripts/web-test/drive.js} drives headless Chromium through every page (playwright-core with
 * Debian's {@code chromium}: {@code MERGELAB_CHROMIUM} or {@code /usr/bin/chromium}), clicking as a user would, and
 * this test asserts on what was rendered. Skipped, saying why, when node, chromium or {@code npm ci} in
 * scripts/web-test are missing. Screenshots go to {@code -Dmergelab.web.screenshots=DIR} when set (docs/web/ holds them).
 */
class LabServeBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void everyPageRendersTheLabInChromium() throws Exception {
        Path chromium = BrowserHarness.assumeAvailable();
        WebLab w = WebLab.build(tmp);
        try (BrowserHarness server = BrowserHarness.serve(w.lab, tmp)) {
            Path shots = System.getProperty("mergelab.web.screenshots") == null ? Files.createDirectories(tmp.resolve("shots"))
                    : Files.createDirectories(Path.of(System.getProperty("mergelab.web.screenshots")).toAbsolutePath());
            ObjectNode plan = JSON.createObjectNode().put("base", server.base()).put("chromium", chromium.toString())
                    .put("screenshots", shots.toString()).put("candidate", s(w.m2Id)).put("search", s(w.searchId)).put("kind", "virtual");
            plan.putArray("compare").add(s(w.m1Id)).add(s(w.m2Id));
            plan.putArray("interference").add(s(w.base)).add(s(w.ft1)).add(s(w.ft2)).add(s(w.m1Id));
            plan.putObject("sort").put("task", "ppl_a").put("metric", "bits_per_byte,none");
            Path planFile = tmp.resolve("plan.json");
            Files.writeString(planFile, JSON.writeValueAsString(plan));
            JsonNode r = server.drive(planFile);

            assertEquals("[]", r.get("problems").toString(), "no failed request, console error or script error on any page");
            assertEquals("Candidates - MergeLab", r.get("title").asText());
            assertEquals(5 + WebLab.OBJECTIVES.length, r.get("initial").size());
            assertTrue(r.get("columns").toString().contains("ppl_b bits_per_byte,none"), r.get("columns").toString());

            // After the click on the ppl_a bits-per-byte header: the five scored models, ascending (lower is better), then the rest.
            int col = indexOf(r.get("columns"), "ppl_a bits_per_byte,none");
            List<Double> sorted = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sorted.add(r.get("sorted").get(i).get("scores").get(col).asDouble());
            }
            List<Double> ascending = new ArrayList<>(sorted);
            ascending.sort(null);
            assertEquals(ascending, sorted);
            assertTrue(r.get("sorted").get(5).get("scores").get(col).isNull());
            assertTrue(r.get("sortedHeader").asText().contains("▼"));
            List<String> top5 = ids(r.get("sorted")).subList(0, 5);
            assertEquals(top5.reversed(), ids(r.get("reversed")).subList(0, 5), "a second click reverses the order");
            assertEquals(Set.of(s(w.base), s(w.ft1), s(w.ft2), s(w.m1Id), s(w.m2Id)), new TreeSet<>(top5));
            for (JsonNode row : r.get("filtered")) {
                assertEquals("virtual", row.get("kind").asText());
            }
            assertEquals(WebLab.OBJECTIVES.length, r.get("filtered").size());

            // m2's lineage: three layers, labelled edges, the long edge ft1 -> m2 bent through m1's layer.
            JsonNode c = r.get("candidate");
            assertEquals("Candidate " + s(w.m2Id), c.get("heading").asText());
            Map<String, JsonNode> nodes = new HashMap<>();
            c.get("nodes").forEach(n -> nodes.put(n.get("id").asText(), n));
            assertEquals(Set.of(s(w.m2Id), s(w.m1Id), s(w.base), s(w.ft1), s(w.ft2)), nodes.keySet());
            assertTrue(nodes.get(s(w.m2Id)).get("focus").asBoolean());
            assertEquals("/candidates/" + s(w.base), nodes.get(s(w.base)).get("link").asText());
            double top = nodes.get(s(w.base)).get("y").asDouble();
            assertEquals(top, nodes.get(s(w.ft1)).get("y").asDouble());
            assertEquals(top, nodes.get(s(w.ft2)).get("y").asDouble());
            assertTrue(nodes.get(s(w.m1Id)).get("y").asDouble() > top);
            assertTrue(nodes.get(s(w.m2Id)).get("y").asDouble() > nodes.get(s(w.m1Id)).get("y").asDouble());
            assertEquals("[\"" + s(w.m2Id) + "\",\"" + WebLab.M2_NAME + "\",\"model\"]", nodes.get(s(w.m2Id)).get("texts").toString(),
                    "the folder name is shown as text, its markup escaped");
            Map<String, String> labels = new HashMap<>();
            Map<String, Integer> points = new HashMap<>();
            c.get("edges").forEach(e -> {
                labels.put(e.get("from").asText() + ">" + e.get("to").asText(), e.get("label").asText());
                points.put(e.get("from").asText() + ">" + e.get("to").asText(), e.get("points").asInt());
            });
            assertEquals(Map.of(s(w.m1Id) + ">" + s(w.m2Id), "merge linear", s(w.ft1) + ">" + s(w.m2Id), "merge linear",
                    s(w.base) + ">" + s(w.m1Id), "merge ties (base)", s(w.ft1) + ">" + s(w.m1Id), "merge ties",
                    s(w.ft2) + ">" + s(w.m1Id), "merge ties"), labels);
            assertEquals(3, points.get(s(w.ft1) + ">" + s(w.m2Id)), "the edge over two layers has a bend");
            assertEquals(2, points.get(s(w.m1Id) + ">" + s(w.m2Id)));
            assertEquals(0, c.get("markupElements").asInt(), "no element made from the folder name");
            assertTrue(c.get("bodyText").asText().contains(WebLab.M2_NAME), "the path is shown literally");
            assertEquals(6, c.get("scores").size(), "two tasks x three metrics");
            assertTrue(c.get("recipes").get(0).asText().contains("merge_method: linear"));
            assertTrue(c.get("modelCard").get(0).asText().contains("This model is a merge"), c.get("modelCard").toString());

            JsonNode cmp = r.get("compare");
            assertEquals(6, cmp.get("scores").size());
            assertEquals("all", cmp.get("layers").get(cmp.get("layers").size() - 1).asText());
            assertTrue(cmp.get("layers").size() >= 3, cmp.toString());
            assertEquals(2 * (cmp.get("layers").size() - 2), cmp.get("chartPoints").asInt(), "cosine and conflicts per numbered layer");
            assertEquals(0, cmp.get("error").size());

            // Interference, reached by ticking base, ft1, ft2 and m1 on the table: the three roots are m1's parents.
            JsonNode inf = r.get("interference");
            List<String> parents = new ArrayList<>();
            inf.get("columns").forEach(col2 -> {
                if (col2.get("parent").asBoolean()) {
                    parents.add(col2.get("id").asText());
                }
            });
            assertEquals(4, inf.get("columns").size());
            assertEquals(new TreeSet<>(List.of(s(w.base), s(w.ft1), s(w.ft2))), new TreeSet<>(parents));
            assertEquals(2, inf.get("rows").size());
            for (JsonNode row : inf.get("rows")) {
                double best = 0;
                for (int i = 0; i < 3; i++) {
                    best = Math.max(best, row.get("relative").get(i).asDouble());
                }
                assertEquals(1.0, best, 1e-12, "the best parent is 1 on its own scale");
            }

            assertEquals(List.of(s(w.searchId), s(w.soupId)), texts(r.get("searches")));
            JsonNode search = r.get("search");
            List<Integer> steps = new ArrayList<>();
            for (int i = 0; i < WebLab.OBJECTIVES.length; i++) {
                steps.add(i);
            }
            assertEquals(steps, ints(search.get("progressPoints")), "one point per evaluation");
            assertEquals(3, search.get("generationBest").size());
            assertEquals("[3]", search.get("bestLinePoints").toString(), "the best-so-far line has a point per generation");
            double prev = -1;
            for (JsonNode g : search.get("generationBest")) {
                assertTrue(g.get("cy").asDouble() >= prev, "best so far only improves (lower fitness is drawn lower)");
                prev = g.get("cy").asDouble();
            }
            assertEquals(WebLab.FRONT, ints(search.get("paretoFront")));
            assertEquals(WebLab.FRONT, ints(search.get("frontRows")));
            List<Integer> others = new ArrayList<>(steps);
            others.removeAll(WebLab.FRONT);
            assertEquals(others, ints(search.get("paretoOthers")));

            assertEquals(404, r.get("missing").get("status").asInt());
            assertEquals("no candidate ffffffffffff in the lab", r.get("missing").get("text").asText());
            for (String page : List.of("candidates", "candidate", "compare", "interference", "searches", "search", "pareto")) {
                Path png = shots.resolve(page + ".png");
                assertTrue(Files.size(png) > 5000, png + " looks empty");
            }
        }
    }

    private static String s(String id) {
        return ContentId.shortId(id);
    }

    private static int indexOf(JsonNode columns, String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).asText().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no column " + name + " in " + columns);
    }

    private static List<String> ids(JsonNode rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(x -> out.add(x.get("id").asText()));
        return out;
    }

    private static List<String> texts(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asInt()));
        return out;
    }

}
