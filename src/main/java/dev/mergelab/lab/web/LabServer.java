package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mergelab.MergeLabException;
import dev.mergelab.Workers;
import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.LabJsonViews;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * The lab's web server. Built on the JDK's {@code com.sun.net.httpserver} (module jdk.httpserver) rather than a web
 * framework such as Javalin: one local user, a dozen GET routes and no sessions need nothing a framework adds, while
 * it would bring Jetty and a dozen jars into the launcher's class path. Every request opens the lab, reads what it
 * needs and closes it again ({@link LabView}), so pages are live while other processes record into the lab.
 *
 * <p>Routes (all GET; JSON under {@code /api}, documented by {@code GET /api}): see {@link #ROUTES}.
 */
public final class LabServer implements AutoCloseable {

    /** Every route and what it answers: served as {@code GET /api} and listed in the command's help. */
    public static final Map<String, String> ROUTES = routes();

    private static Map<String, String> routes() {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("/api/candidates[?sort=TASK[,METRIC]][&reverse=1][&kind=KIND]",
                "{candidates: [lab list --json's fields + made_by], score_columns: [{task, metric, lower_is_better}], kinds, kind, sort}");
        r.put("/api/candidates/{id}", "lab show --json's fields + model_card (README.md text or null); parents and children with sha256, kind, path");
        r.put("/api/lineage/{id}", "lab lineage --json: {nodes: [{id, path, kind, sha256}], edges: [{from, to, relation, method, parameters, base}], candidate}");
        r.put("/api/compare?a=ID&b=ID[&base=ID]", "lab compare --json: {a, b, base, scores: [{task, metric, a, a_stderr, b, b_stderr}], task_vectors:"
                + " {verdict, layers: [{layer, norm_a, norm_b, relative_a, relative_b, cosine, sign_conflicts, elements}], total} or {error}}");
        r.put("/api/interference?ids=ID,ID,...[&parents=ID,...]", "{candidates: [{id, sha256, kind, path, parent}], rows: [{task, metric,"
                + " higher_is_better, scores: [...], relative: [... score relative to the best parent]}]}");
        r.put("/api/searches", "[{id, sha256, kind, objectives: [{task, metric, weight}], seed, out_path, started_at, finished_at, best,"
                + " evaluation_count, best_fitness}]");
        r.put("/api/searches/{id}", "the summary + config, evaluations: [{step, generation, candidate, candidate_kind, objectives: [...], fitness,"
                + " merge_seconds, eval_seconds, recorded_at, recipe, genotype}], generations: [{generation, evaluations, last_step, best_fitness,"
                + " median_fitness, best_so_far}], pareto_front: [step, ...]");
        r.put("/ /candidates/{id} /compare /interference /searches /searches/{id}", "the same views as HTML pages");
        return java.util.Collections.unmodifiableMap(r);
    }

    private final HttpServer server;
    private final ExecutorService pool;
    private final Path lab;
    private final boolean loopback;
    private final Consumer<String> errors;

    private LabServer(HttpServer server, ExecutorService pool, Path lab, boolean loopback, Consumer<String> errors) {
        this.server = server;
        this.pool = pool;
        this.lab = lab;
        this.loopback = loopback;
        this.errors = errors;
    }

    /**
     * Starts serving {@code lab} on {@code host:port} (port 0: any free port; see {@link #uri()}). Internal errors
     * of a request (bugs, not bad requests) go to {@code errors}, one line each.
     */
    public static LabServer start(Path lab, String host, int port, Consumer<String> errors) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (IOException e) {
            throw MergeLabException.input("cannot resolve --host " + host + ": " + e.getMessage(), null);
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(address, port), 32);
        } catch (IOException e) {
            throw MergeLabException.input("cannot listen on " + host + ":" + port + ": " + e.getMessage(),
                    "another program may use that port; pick another with --port, or --port 0 for any free one");
        }
        ExecutorService pool = Workers.pool(4, "lab-web");
        LabServer s = new LabServer(server, pool, lab, address.isLoopbackAddress(), errors);
        server.createContext("/", s::handle);
        server.setExecutor(pool);
        server.start();
        return s;
    }

    /** Where it listens, e.g. {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
    }

    /** True when it listens on a loopback address (this computer only). */
    public boolean loopback() {
        return loopback;
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                    throw new WebError(405, "only GET requests: the lab view is read-only");
                }
                if (loopback && !localHostHeader(ex.getRequestHeaders().getFirst("Host"))) {
                    // A page from elsewhere could make the browser ask a local name it controls (DNS rebinding).
                    throw new WebError(403, "requests must name this computer (localhost, 127.0.0.1 or [::1]) as Host");
                }
                route(ex);
            } catch (WebError e) {
                text(ex, e.status, e.getMessage());
            } catch (MergeLabException e) {
                // the lab could not be read: locked beyond the wait, corrupt, or written by a newer MergeLab
                text(ex, 503, e.oneLine());
            } catch (RuntimeException e) {
                errors.accept("lab serve: internal error on " + ex.getRequestURI() + ": " + e);
                text(ex, 500, "internal error: " + e);
            }
        }
    }

    static boolean localHostHeader(String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && h.substring(1, end).equals("::1");
        }
        int colon = h.indexOf(':');
        String name = colon < 0 ? h : h.substring(0, colon);
        return name.equals("localhost") || name.equals("127.0.0.1");
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
        List<String> parts = segments(path);
        if (parts.size() == 2 && parts.get(0).equals("static") && parts.get(1).equals("lab.css")) {
            resource(ex, "lab.css", "text/css; charset=utf-8");
            return;
        }
        if (parts.size() == 2 && parts.get(0).equals("static") && parts.get(1).equals("favicon.svg")) {
            resource(ex, "favicon.svg", "image/svg+xml");
            return;
        }
        boolean api = !parts.isEmpty() && parts.getFirst().equals("api");
        if (api && parts.size() == 1) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            ROUTES.forEach(o::put);
            json(ex, o);
            return;
        }
        List<String> rest = api ? parts.subList(1, parts.size()) : parts;
        if (api) {
            json(ex, withLab(lab -> apiRoute(lab, rest, q)));
        } else {
            html(ex, withLab(lab -> page(lab, rest, q)));
        }
    }

    /**
     * Runs one request's reading on a freshly opened lab. Another process may hold the database for a moment (a
     * checkpoint, a migration, a writer in exclusive locking mode, where SQLite answers "busy" at once instead of
     * calling its busy handler), so a locked lab is retried for up to {@link LabView#BUSY_MILLIS} before the request
     * gets the one-line "locked by" answer. Reading has no side effects, so a retry redoes it whole.
     */
    private <T> T withLab(java.util.function.Function<LabView, T> work) {
        long deadline = System.nanoTime() + LabView.BUSY_MILLIS * 1_000_000L;
        while (true) {
            try {
                LabView view = LabView.open(lab);
                try {
                    return work.apply(view);
                } finally {
                    view.close();
                }
            } catch (MergeLabException e) {
                // LabDatabase words a busy or locked database as "<file> is locked by <who>"
                if (e.getMessage() == null || !e.getMessage().contains(" is locked by ") || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static final int RETRY_MILLIS = 50;

    private JsonNode apiRoute(LabView lab, List<String> rest, Map<String, List<String>> q) {
        String first = rest.isEmpty() ? "" : rest.getFirst();
        switch (first) {
            case "candidates" -> {
                if (rest.size() == 1) {
                    return LabApi.candidates(lab, one(q, "sort"), "1".equals(one(q, "reverse")), one(q, "kind"));
                }
                if (rest.size() == 2) {
                    return LabApi.candidate(lab, lab.candidate(rest.get(1)));
                }
            }
            case "lineage" -> {
                if (rest.size() == 2) {
                    return LabApi.lineage(lab, lab.candidate(rest.get(1)));
                }
            }
            case "compare" -> {
                if (rest.size() == 1) {
                    Candidate[] ab = pair(lab, q);
                    if (ab == null) {
                        throw new WebError(400, "name two candidates: /api/compare?a=ID&b=ID");
                    }
                    return LabApi.compare(lab, ab[0], ab[1], base(lab, q), threads());
                }
            }
            case "interference" -> {
                if (rest.size() == 1) {
                    return LabApi.interference(lab, LabApi.candidates(lab, q.getOrDefault("ids", List.of())),
                            LabApi.candidates(lab, q.getOrDefault("parents", List.of())));
                }
            }
            case "searches" -> {
                if (rest.size() == 1) {
                    return LabApi.searches(lab);
                }
                if (rest.size() == 2) {
                    return LabApi.search(lab, lab.search(rest.get(1)));
                }
            }
            default -> {
            }
        }
        throw new WebError(404, "no such API route: /api/" + String.join("/", rest) + " (GET /api lists them)");
    }

    private String page(LabView lab, List<String> rest, Map<String, List<String>> q) {
        String first = rest.isEmpty() ? "" : rest.getFirst();
        switch (first) {
            case "" -> {
                return CandidatesPage.render(this.lab, LabApi.candidates(lab, one(q, "sort"), "1".equals(one(q, "reverse")), one(q, "kind")));
            }
            case "candidates" -> {
                if (rest.size() == 2) {
                    Candidate c = lab.candidate(rest.get(1));
                    return CandidatePage.render(this.lab, LabApi.candidate(lab, c), LabApi.lineage(lab, c));
                }
            }
            case "compare" -> {
                if (rest.size() == 1) {
                    Candidate[] ab = pair(lab, q);
                    JsonNode all = LabApi.candidates(lab, null, false, null).get("candidates");
                    return ComparePage.render(this.lab, all, ab == null ? null : LabApi.compare(lab, ab[0], ab[1], base(lab, q), threads()),
                            one(q, "a"), one(q, "b"));
                }
            }
            case "interference" -> {
                if (rest.size() == 1) {
                    JsonNode all = LabApi.candidates(lab, null, false, null).get("candidates");
                    List<Candidate> members = LabApi.candidates(lab, q.getOrDefault("ids", List.of()));
                    return InterferencePage.render(this.lab, all, members.isEmpty() ? null
                            : LabApi.interference(lab, members, LabApi.candidates(lab, q.getOrDefault("parents", List.of()))));
                }
            }
            case "searches" -> {
                if (rest.size() == 1) {
                    return SearchPages.list(this.lab, LabApi.searches(lab));
                }
                if (rest.size() == 2) {
                    return SearchPages.detail(this.lab, LabApi.search(lab, lab.search(rest.get(1))), integer(q, "x", 0), integer(q, "y", 1));
                }
            }
            default -> {
            }
        }
        throw new WebError(404, "no such page: /" + String.join("/", rest));
    }

    /** The two candidates of a comparison: {@code a} and {@code b}, or two {@code ids} (the candidates table's ticks); null when not given. */
    private static Candidate[] pair(LabView lab, Map<String, List<String>> q) {
        String a = one(q, "a");
        String b = one(q, "b");
        if (a != null && b != null) {
            return new Candidate[] {lab.candidate(a), lab.candidate(b)};
        }
        List<Candidate> ids = LabApi.candidates(lab, q.getOrDefault("ids", List.of()));
        if (ids.isEmpty() && a == null && b == null) {
            return null;
        }
        if (ids.size() != 2) {
            throw new WebError(400, "compare needs exactly two candidates (a= and b=, or two ticked), got " + (ids.isEmpty() ? 1 : ids.size()));
        }
        return new Candidate[] {ids.get(0), ids.get(1)};
    }

    private static Candidate base(LabView lab, Map<String, List<String>> q) {
        String base = one(q, "base");
        return base == null ? null : lab.candidate(base);
    }

    private static int threads() {
        return Runtime.getRuntime().availableProcessors();
    }

    private static String one(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        return v == null || v.isEmpty() || v.getLast().isEmpty() ? null : v.getLast();
    }

    private static int integer(Map<String, List<String>> q, String name, int otherwise) {
        String v = one(q, name);
        if (v == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new WebError(400, name + " must be a whole number, not '" + v + "'");
        }
    }

    static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            q.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return q;
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(decode(s));
            }
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new WebError(400, "malformed URL encoding");
        }
    }

    private static void resource(HttpExchange ex, String name, String type) throws IOException {
        try (InputStream in = LabServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the jar");
            }
            send(ex, 200, type, in.readAllBytes(), "max-age=300");
        }
    }

    private static void json(HttpExchange ex, JsonNode node) throws IOException {
        send(ex, 200, "application/json; charset=utf-8", (LabJsonViews.pretty(node) + "\n").getBytes(StandardCharsets.UTF_8), "no-store");
    }

    private static void html(HttpExchange ex, String page) throws IOException {
        send(ex, 200, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8), "no-store");
    }

    private static void text(HttpExchange ex, int status, String line) throws IOException {
        send(ex, status, "text/plain; charset=utf-8", (line + "\n").getBytes(StandardCharsets.UTF_8), "no-store");
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body, String cache) throws IOException {
        var h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Cache-Control", cache);
        h.set("X-Content-Type-Options", "nosniff");
        // No script runs on these pages, and nothing is loaded from anywhere but this server.
        h.set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
