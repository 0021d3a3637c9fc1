package dev.mergelab.lab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.lab.registry.ContentId;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.Score;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSON API and pages over HTTP without a browser: the server runs in this JVM on a free port against a lab filled
 * by {@link WebLab}. The API must print what the lab commands print ({@code lab lineage --json}, {@code lab compare
 * --json}, {@code lab show --json}), read the lab live, escape user data, and answer unknown ids with a one-line 404.
 */
class LabServerApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path root;
    static WebLab w;
    static LabServer server;
    static final List<String> errors = new CopyOnWriteArrayList<>();
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void serve() throws Exception {
        w = WebLab.build(root);
        server = LabServer.start(w.lab, "127.0.0.1", 0, errors::add);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        assertEquals(List.of(), errors, "no request may fail with an internal error");
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(server.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode api(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
        return JSON.readTree(r.body());
    }

    static String s(String id) {
        return ContentId.shortId(id);
    }

    static List<String> ids(JsonNode candidates) {
        List<String> out = new ArrayList<>();
        candidates.forEach(c -> out.add(c.get("id").asText()));
        return out;
    }

    static double bpb(JsonNode candidate, String task) {
        for (JsonNode sc : candidate.get("scores")) {
            if (sc.get("task").asText().equals(task) && sc.get("metric").asText().equals("bits_per_byte,none")) {
                return sc.get("value").asDouble();
            }
        }
        throw new AssertionError("no " + task + " score in " + candidate);
    }

    @Test
    void candidatesAreListedWithTheirScoreColumnsAndSortBestFirst() throws Exception {
        JsonNode all = api("/api/candidates");
        assertEquals(5 + WebLab.OBJECTIVES.length, all.get("candidates").size());
        assertEquals("[\"model\",\"virtual\"]", all.get("kinds").toString());
        assertTrue(all.get("sort").isNull());
        List<String> columns = new ArrayList<>();
        all.get("score_columns").forEach(c -> columns.add(c.get("task").asText() + " " + c.get("metric").asText() + " "
                + c.get("lower_is_better").asBoolean()));
        assertTrue(columns.contains("ppl_a bits_per_byte,none true") && columns.contains("ppl_b word_perplexity,none true"), columns.toString());
        JsonNode m2 = find(all.get("candidates"), s(w.m2Id));
        assertEquals("merge linear", m2.get("made_by").asText());
        assertEquals(w.m2.toString(), m2.get("path").asText());

        // ppl_a bits per byte: lower is better, so ascending; candidates without the score (the virtual ones) last
        JsonNode sorted = api("/api/candidates?sort=ppl_a,bits_per_byte,none").get("candidates");
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            values.add(bpb(sorted.get(i), "ppl_a"));
        }
        List<Double> ascending = new ArrayList<>(values);
        ascending.sort(null);
        assertEquals(ascending, values);
        assertEquals("virtual", sorted.get(5).get("kind").asText());
        JsonNode reversed = api("/api/candidates?sort=ppl_a,bits_per_byte,none&reverse=1").get("candidates");
        assertEquals(ids(sorted).subList(0, 5).reversed(), ids(reversed).subList(0, 5));
        assertEquals("virtual", reversed.get(5).get("kind").asText());

        JsonNode virtual = api("/api/candidates?kind=virtual");
        assertEquals(WebLab.OBJECTIVES.length, virtual.get("candidates").size());
        for (JsonNode c : virtual.get("candidates")) {
            assertEquals("", c.get("path").asText());
            assertFalse(c.get("present").asBoolean(), "an in-memory child has no files to be present");
        }
        HttpResponse<String> bad = get("/api/candidates?sort=nosuchtask");
        assertEquals(400, bad.statusCode());
        assertEquals("no scores for task 'nosuchtask' in the lab (tasks with scores: ppl_a, ppl_b)\n", bad.body());
    }

    static JsonNode find(JsonNode candidates, String id) {
        for (JsonNode c : candidates) {
            if (c.get("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no " + id);
    }

    @Test
    void aCandidateIsWhatLabShowPrintsPlusItsModelCardAndItsRelatives() throws Exception {
        JsonNode c = api("/api/candidates/" + s(w.m2Id));
        JsonNode show = JSON.readTree(WebLab.cli("lab", "show", w.m2Id, "--json", "--lab", w.lab.toString()));
        for (String field : List.of("id", "sha256", "kind", "path", "present", "size", "dtype", "architecture", "runs", "scores", "run_records")) {
            assertEquals(show.get(field), c.get(field), field);
        }
        assertEquals(2, c.get("parents").size());
        assertEquals(w.m1Id, c.get("parents").get(0).get("sha256").asText());
        assertEquals(w.m1.toString(), c.get("parents").get(0).get("path").asText());
        assertEquals("model", c.get("parents").get(0).get("kind").asText());
        assertTrue(c.get("model_card").asText().contains("linear"), c.get("model_card").asText());
        assertTrue(c.get("run_records").get(0).get("recipe").asText().contains("merge_method: linear"));

        // a prefix of 4 hex digits names it too; ft1's children include in-memory ones, without a path
        assertEquals(s(w.m2Id), api("/api/candidates/" + w.m2Id.substring(0, 6)).get("id").asText());
        JsonNode ft1 = api("/api/candidates/" + s(w.ft1));
        assertTrue(ft1.get("model_card").isNull(), "the synthetic family has no README.md");
        int virtualChildren = 0;
        for (JsonNode e : ft1.get("children")) {
            if (e.get("kind").asText().equals("virtual")) {
                virtualChildren++;
                assertEquals("", e.get("path").asText());
            }
        }
        assertEquals(WebLab.OBJECTIVES.length, virtualChildren);
        JsonNode v = api("/api/candidates/" + s(w.virtual.getFirst()));
        assertEquals("", v.get("path").asText());
        assertFalse(v.get("present").asBoolean());
        assertTrue(v.get("model_card").isNull());
        // an in-memory child's recipe and scores are its search evaluations
        assertEquals(1, v.get("search_evaluations").size());
        JsonNode e = v.get("search_evaluations").get(0);
        assertEquals(s(w.searchId), e.get("search").asText());
        assertEquals(0, e.get("step").asInt());
        assertEquals("merge_method: linear\n", e.get("recipe").asText());
        assertEquals("[{\"value\":0.9,\"task\":\"ppl_a\",\"metric\":\"bits_per_byte,none\",\"weight\":-1.0},"
                + "{\"value\":0.5,\"task\":\"ppl_b\",\"metric\":\"bits_per_byte,none\",\"weight\":-1.0}]", e.get("objectives").toString());
        String page = get("/candidates/" + s(w.virtual.getFirst())).body();
        assertTrue(page.contains("Evaluated by searches") && page.contains("<pre class=\"recipe\">merge_method: linear"), page);
        JsonNode m1 = api("/api/candidates/" + s(w.m1Id)).get("search_evaluations");
        assertEquals(1, m1.size(), "the soup's last step was m1");
        assertEquals("soup", m1.get(0).get("search_kind").asText());
        assertEquals(0, api("/api/candidates/" + s(w.ft2)).get("search_evaluations").size());
    }

    @Test
    void lineageIsLabLineageJsonWithTheBaseFlag() throws Exception {
        JsonNode api = api("/api/lineage/" + s(w.m2Id));
        JsonNode cli = JSON.readTree(WebLab.cli("lab", "lineage", w.m2Id, "--json", "--lab", w.lab.toString()));
        assertEquals(cli.get("nodes"), api.get("nodes"));
        assertEquals(cli.get("edges").size(), api.get("edges").size());
        int bases = 0;
        for (int i = 0; i < cli.get("edges").size(); i++) {
            JsonNode e = api.get("edges").get(i).deepCopy();
            bases += e.get("base").asBoolean() ? 1 : 0;
            ((com.fasterxml.jackson.databind.node.ObjectNode) e).remove("base");
            assertEquals(cli.get("edges").get(i), e);
        }
        assertEquals(1, bases, "only base -> m1 is a base edge");
        assertEquals(w.m2Id, api.get("candidate").asText());
        assertEquals(5, api.get("nodes").size());
    }

    @Test
    void compareIsLabCompareJsonAndFallsBackToScoresWithoutWeights() throws Exception {
        JsonNode api = api("/api/compare?a=" + s(w.m1Id) + "&b=" + s(w.m2Id));
        JsonNode cli = JSON.readTree(WebLab.cli("lab", "compare", w.m1Id, w.m2Id, "--json", "--lab", w.lab.toString()));
        assertEquals(cli, api);
        assertTrue(api.get("task_vectors").get("layers").size() > 1);

        JsonNode virtual = api("/api/compare?a=" + s(w.virtual.get(0)) + "&b=" + s(w.m1Id));
        assertTrue(virtual.get("task_vectors").get("error").asText().contains("virtual, not a full model"), virtual.toString());
        JsonNode row = virtual.get("scores").get(0);
        assertTrue(row.get("a").isNull() && row.get("b").isNumber(), row.toString());
        assertEquals(400, get("/api/compare?a=" + s(w.m1Id)).statusCode());
    }

    @Test
    void interferenceIsRelativeToTheBestParentInTheSet() throws Exception {
        JsonNode m = api("/api/interference?ids=" + s(w.base) + "," + s(w.ft1) + "&ids=" + s(w.m1Id));
        assertEquals("[true,true,false]", parents(m));
        JsonNode all = api("/api/candidates").get("candidates");
        for (JsonNode row : m.get("rows")) {
            String task = row.get("task").asText();
            assertEquals("bits_per_byte", row.get("metric").asText(), "the first ,none metric by name is the headline");
            assertFalse(row.get("higher_is_better").asBoolean());
            double best = Math.min(bpb(find(all, s(w.base)), task), bpb(find(all, s(w.ft1)), task));
            assertEquals(best / bpb(find(all, s(w.m1Id)), task), row.get("relative").get(2).asDouble(), 1e-12);
            assertEquals(bpb(find(all, s(w.m1Id)), task), row.get("scores").get(2).asDouble(), 1e-12);
        }
        // parents given explicitly; a set where nobody descends from another has none
        assertEquals("[false,true,false]", parents(api("/api/interference?ids=" + s(w.base) + "," + s(w.ft1) + "," + s(w.m1Id)
                + "&parents=" + s(w.ft1))));
        JsonNode unrelated = api("/api/interference?ids=" + s(w.ft1) + "," + s(w.ft2));
        assertEquals("[false,false]", parents(unrelated));
        assertTrue(unrelated.get("rows").get(0).get("relative").get(0).isNull());
    }

    private static String parents(JsonNode matrix) {
        List<Boolean> p = new ArrayList<>();
        matrix.get("candidates").forEach(c -> p.add(c.get("parent").asBoolean()));
        return p.toString().replace(" ", "");
    }

    @Test
    void searchesShowProgressPerGenerationAndTheParetoFront() throws Exception {
        JsonNode list = api("/api/searches");
        assertEquals(List.of(s(w.searchId), s(w.soupId)), ids(list), "newest first");
        assertEquals(WebLab.OBJECTIVES.length, list.get(0).get("evaluation_count").asInt());
        assertEquals(1.2, list.get(0).get("best_fitness").asDouble(), 1e-12);
        assertEquals(s(w.virtual.get(8)), list.get(0).get("best").asText());

        JsonNode s = api("/api/searches/" + w.searchId.substring(0, 8));
        assertEquals(WebLab.OBJECTIVES.length, s.get("evaluations").size());
        assertEquals("virtual", s.get("evaluations").get(3).get("candidate_kind").asText());
        assertEquals("[0.6,0.95]", s.get("evaluations").get(3).get("objectives").toString());
        assertEquals(3, s.get("generations").size());
        for (JsonNode g : s.get("generations")) {
            int gen = g.get("generation").asInt();
            assertEquals(WebLab.bestSoFar(gen), g.get("best_so_far").asDouble(), 1e-12);
            assertEquals(gen * WebLab.PER_GENERATION + WebLab.PER_GENERATION - 1, g.get("last_step").asInt());
        }
        assertEquals(WebLab.FRONT.toString().replace(" ", ""), s.get("pareto_front").toString());
        assertTrue(s.get("config").asText().startsWith("genome:"), "a YAML configuration stays text");

        JsonNode soup = api("/api/searches/" + s(w.soupId));
        assertEquals("[]", soup.get("pareto_front").toString(), "one objective: no front");
        assertEquals("greedy", soup.get("config").get("mode").asText());
    }

    @Test
    void unknownIdsAndRoutesAreOneLine404s() throws Exception {
        for (String path : List.of("/api/candidates/ffffffffffff", "/api/lineage/abcd1234", "/candidates/ffffffffffff", "/api/searches/ffff",
                "/api/candidates/..%2F..%2Fetc%2Fpasswd", "/api/nothing", "/nothing")) {
            HttpResponse<String> r = get(path);
            assertEquals(404, r.statusCode(), path);
            assertEquals("text/plain; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
            assertEquals(1, r.body().lines().count(), r.body());
            assertTrue(r.body().endsWith("\n"));
        }
        assertEquals("no candidate ffffffffffff in the lab\n", get("/api/candidates/ffffffffffff").body());
        // a path is not an id: the server never probes the file system for what a URL names
        assertEquals(404, get("/api/candidates/" + w.m1.toString().replace("/", "%2F")).statusCode());
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(server.uri().resolve("/api/candidates"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void aRequestNamingAnotherHostIsRefused() throws Exception {
        assertEquals("403", rawStatus("evil.example:" + server.uri().getPort()));
        assertEquals("200", rawStatus("localhost:" + server.uri().getPort()));
        assertEquals("200", rawStatus("127.0.0.1:" + server.uri().getPort()));
    }

    private static String rawStatus(String host) throws Exception {
        try (Socket so = new Socket("127.0.0.1", server.uri().getPort())) {
            OutputStream out = so.getOutputStream();
            out.write(("GET /api/searches HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(so.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            return status.split(" ")[1];
        }
    }

    @Test
    void pagesEscapeUserDataAndLoadNothingFromOutside() throws Exception {
        for (String path : List.of("/", "/candidates/" + s(w.m2Id), "/compare?a=" + s(w.m1Id) + "&b=" + s(w.m2Id), "/interference?ids="
                + s(w.m1Id) + "," + s(w.m2Id), "/searches", "/searches/" + s(w.searchId), "/searches/" + s(w.soupId))) {
            HttpResponse<String> r = get(path);
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertEquals("text/html; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(r.headers().firstValue("Content-Security-Policy").orElseThrow().startsWith("default-src 'none'"));
            assertFalse(r.body().contains("<i>linear"), path + " shows a folder name unescaped");
            assertFalse(r.body().contains("href=\"http") || r.body().contains("src="), path + " loads something from elsewhere");
            assertFalse(r.body().contains("<script"), path);
        }
        String page = get("/candidates/" + s(w.m2Id)).body();
        assertTrue(page.contains("m2&lt;i&gt;linear"), "the DAG and the facts show the folder name as text");
        assertEquals(200, get("/static/lab.css").statusCode());
    }

    @Test
    void theLabIsReadLiveAndALockedLabIsWaitedForThenReported() throws Exception {
        try (Registry r = Registry.open(w.lab, Registry.COMMAND_BUSY_MILLIS)) {
            r.addScores(w.ft2, List.of(new Score("live_task", "acc,none", 0.25, null, null, null, "test")));
        }
        JsonNode ft2 = api("/api/candidates/" + s(w.ft2));
        boolean seen = false;
        for (JsonNode sc : ft2.get("scores")) {
            seen |= sc.get("task").asText().equals("live_task");
        }
        assertTrue(seen, "a score recorded after the server started shows on the next request");

        // Another connection holding the database exclusively (in WAL mode only EXCLUSIVE locking mode keeps readers out, and
        // SQLite then answers "busy" at once): released within the server's wait, the request succeeds; held longer, it is
        // a one-line 503 naming the lock.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + w.lab.resolve("lab.db"))) {
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA locking_mode = EXCLUSIVE");
                st.execute("BEGIN EXCLUSIVE");
                st.execute("UPDATE candidates SET last_seen = last_seen WHERE id = '" + w.ft2 + "'");
            }
            Thread release = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(LabView.BUSY_MILLIS / 4);
                    c.close(); // the other process finishes
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            HttpResponse<String> waited = get("/api/searches");
            release.join();
            assertEquals(200, waited.statusCode(), waited.body());
            assertTrue(System.nanoTime() - t0 >= LabView.BUSY_MILLIS / 4 * 1_000_000L * 9 / 10, "the request waited for the lock");
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + w.lab.resolve("lab.db"))) {
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA locking_mode = EXCLUSIVE");
                st.execute("BEGIN EXCLUSIVE");
                st.execute("UPDATE candidates SET last_seen = last_seen WHERE id = '" + w.ft2 + "'");
            }
            HttpResponse<String> locked = get("/api/candidates");
            assertEquals(503, locked.statusCode(), locked.body());
            assertTrue(locked.body().contains("lab.db is locked by "), locked.body());
            assertEquals(1, locked.body().lines().count());
        }
        assertNotNull(api("/api/candidates"), "the lab reads again once the lock is gone");
    }

    @Test
    void serveRefusesBadInputWithOneLine() throws Exception {
        assertOneLineExit2("--port must be between 0 and 65535, not 70000", "lab", "serve", "--port", "70000", "--lab", w.lab.toString());
        assertOneLineExit2("is not a MergeLab lab", "lab", "serve", "--lab", root.resolve("not-a-lab").toString());
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertOneLineExit2("cannot listen on 127.0.0.1:" + taken.getLocalPort(), "lab", "serve", "--port", String.valueOf(taken.getLocalPort()),
                    "--lab", w.lab.toString());
        }
    }

    private static void assertOneLineExit2(String message, String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = dev.mergelab.cli.Main.run(args, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        assertEquals(2, code, err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains(message), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void theApiIndexListsEveryRoute() throws Exception {
        JsonNode index = api("/api");
        for (String route : List.of("/api/candidates", "/api/candidates/{id}", "/api/lineage/{id}", "/api/compare", "/api/interference",
                "/api/searches", "/api/searches/{id}")) {
            boolean found = false;
            for (var it = index.fieldNames(); it.hasNext();) {
                found |= it.next().startsWith(route);
            }
            assertTrue(found, route);
        }
    }
}
