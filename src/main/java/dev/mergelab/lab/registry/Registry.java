package dev.mergelab.lab.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The lab's database, in the registry's terms: record runs, register models, add scores, and read candidates,
 * lineage edges, runs and scores back. Every write is one short transaction; hashing and reading models happens
 * before it, so a busy lab is locked for milliseconds, not for the time a parent takes to hash.
 */
public final class Registry implements AutoCloseable {

    /** How long a lab command waits for another process's write before saying the lab is locked. */
    public static final int COMMAND_BUSY_MILLIS = 5000;

    private final Path lab;
    private final LabDatabase db;

    private Registry(Path lab, LabDatabase db) {
        this.lab = lab;
        this.db = db;
    }

    /** Creates a lab folder with an empty database (an existing lab is opened as it is). */
    public static Registry init(Path labDir) {
        Path abs = labDir.toAbsolutePath().normalize();
        return new Registry(abs, LabDatabase.create(abs, COMMAND_BUSY_MILLIS));
    }

    /** Opens an existing lab; a locked, corrupt or newer database is a one-line {@link MergeLabException}. */
    public static Registry open(Path labDir, int busyMillis) {
        return new Registry(labDir, LabDatabase.open(labDir, busyMillis));
    }

    public Path lab() {
        return lab;
    }

    /** What recording a run did. */
    public record Recorded(String id, boolean newCandidate, long run, int runs) {
    }

    /**
     * Records a run: its output and every parent (a parent never seen is registered as a root), the run, and the
     * edges. The same output content again (the same recipe on the same inputs) is one candidate with one more run.
     */
    public Recorded record(RunRecord r) {
        ModelIdentity out = ModelIdentity.of(r.output());
        List<ModelIdentity> parents = new ArrayList<>();
        for (RunRecord.Parent p : r.parents()) {
            parents.add(ModelIdentity.of(p.path()));
        }
        return db.inTransaction(() -> {
            Connection c = db.connection();
            for (ModelIdentity p : parents) {
                upsert(c, p);
            }
            boolean isNew = upsert(c, out);
            long run;
            try (PreparedStatement s = c.prepareStatement("INSERT INTO runs (candidate, command, method, recipe, recipe_sha256, parameters,"
                    + " tool_version, host, started_at, seconds, out_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run")) {
                s.setString(1, out.id());
                s.setString(2, r.command());
                s.setString(3, r.method());
                s.setString(4, r.recipe());
                s.setString(5, r.recipeSha256());
                s.setString(6, json(r.parameters()));
                s.setString(7, Version.VERSION);
                s.setString(8, Host.name());
                s.setString(9, r.started().toString());
                s.setDouble(10, r.seconds());
                s.setString(11, out.path().toString());
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    run = rs.getLong(1);
                }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT OR IGNORE INTO edges (child, parent, relation, method, parameters, is_base,"
                    + " position) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < parents.size(); i++) {
                    RunRecord.Parent p = r.parents().get(i);
                    if (parents.get(i).id().equals(out.id())) {
                        continue; // an output identical to a parent (a no-op recipe) is not its own ancestor
                    }
                    s.setString(1, out.id());
                    s.setString(2, parents.get(i).id());
                    s.setString(3, p.relation());
                    s.setString(4, p.method());
                    s.setString(5, json(p.parameters()));
                    s.setInt(6, p.isBase() ? 1 : 0);
                    s.setInt(7, i);
                    s.executeUpdate();
                }
            }
            return new Recorded(out.id(), isNew, run, count(c, "SELECT count(*) FROM runs WHERE candidate = ?", out.id()));
        });
    }

    /**
     * Records a child merged in memory (a soup's or a search's candidate): the candidate of kind virtual, its parents
     * and merge edges, and its one run; the same recipe on the same parents again is the same candidate and adds nothing.
     */
    public Recorded recordVirtual(VirtualRecord v) {
        return db.inTransaction(() -> VirtualRecord.insert(db.connection(), v));
    }

    /** The searches and soups of this lab, and their evaluations. */
    public SearchLog searchLog() {
        return new SearchLog(db);
    }

    /** Registers a model (a root when never seen) and returns its content id. */
    public String register(ModelIdentity m) {
        return db.inTransaction(() -> {
            upsert(db.connection(), m);
            return m.id();
        });
    }

    /** Adds (or replaces, for the same task, metric, limit, data and evaluator) scores of a registered candidate. */
    public void addScores(String candidateId, List<Score> scores) {
        db.inTransaction(() -> {
            try (PreparedStatement s = db.connection().prepareStatement("INSERT OR REPLACE INTO scores (candidate, task, metric, value,"
                    + " stderr, sample_limit, data_sha256, evaluator, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                String now = Instant.now().toString();
                for (Score sc : scores) {
                    s.setString(1, candidateId);
                    s.setString(2, sc.task());
                    s.setString(3, sc.metric());
                    s.setDouble(4, sc.value());
                    if (sc.stderr() == null || !Double.isFinite(sc.stderr())) {
                        s.setNull(5, Types.REAL);
                    } else {
                        s.setDouble(5, sc.stderr());
                    }
                    s.setLong(6, sc.limit() == null ? -1 : sc.limit());
                    s.setString(7, sc.dataSha256() == null ? "" : sc.dataSha256());
                    s.setString(8, sc.evaluator() == null ? "" : sc.evaluator());
                    s.setString(9, now);
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Inserts a model, or refreshes where it was last seen; true when it was new. */
    static boolean upsert(Connection c, ModelIdentity m) throws SQLException {
        String now = Instant.now().toString();
        try (PreparedStatement s = c.prepareStatement("UPDATE candidates SET path = ?, last_seen = ? WHERE id = ?")) {
            s.setString(1, m.path().toString());
            s.setString(2, now);
            s.setString(3, m.id());
            if (s.executeUpdate() > 0) {
                return false;
            }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO candidates (id, kind, path, size, dtype, architecture, files,"
                + " first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, m.id());
            s.setString(2, m.kind());
            s.setString(3, m.path().toString());
            s.setLong(4, m.size());
            s.setString(5, m.dtype());
            s.setString(6, m.architecture());
            com.fasterxml.jackson.databind.node.ObjectNode files = Provenance.JSON.createObjectNode();
            m.files().forEach((name, f) -> {
                if (!ContentId.NOT_CONTENT.contains(name)) {
                    files.putObject(name).put("size", f.size()).put("sha256", f.sha256());
                }
            });
            s.setString(7, json(files));
            s.setString(8, now);
            s.setString(9, now);
            s.executeUpdate();
        }
        return true;
    }

    // ---- reading ----

    private static final String CANDIDATE_COLUMNS = "c.id, c.kind, c.path, c.size, c.dtype, c.architecture, c.files, c.first_seen,"
            + " c.last_seen, (SELECT count(*) FROM runs r WHERE r.candidate = c.id)";

    /** Every candidate, oldest first. */
    public List<Candidate> candidates() {
        return query("SELECT " + CANDIDATE_COLUMNS + " FROM candidates c ORDER BY c.first_seen, c.id", Registry::candidate);
    }

    public Optional<Candidate> candidate(String id) {
        return query("SELECT " + CANDIDATE_COLUMNS + " FROM candidates c WHERE c.id = ?", Registry::candidate, id).stream().findFirst();
    }

    /**
     * The candidate a user names: an id or unique id prefix (at least 4 hex digits), or the path of a model folder
     * or file (found by its recorded path, else by its content id). A name that matches none or several is one line.
     */
    public Candidate resolve(String name) {
        Path asPath = Path.of(name);
        if (Files.exists(asPath)) {
            String abs = asPath.toAbsolutePath().normalize().toString();
            List<Candidate> byPath = query("SELECT " + CANDIDATE_COLUMNS + " FROM candidates c WHERE c.path = ? ORDER BY c.last_seen DESC",
                    Registry::candidate, abs);
            if (!byPath.isEmpty() && byPath.getFirst().present()) {
                return byPath.getFirst();
            }
            String id = ModelIdentity.of(asPath).id();
            return candidate(id).orElseThrow(() -> MergeLabException.input(name + " is not in the lab " + lab + " (content id "
                    + ContentId.shortId(id) + ")", "models are recorded when a command writes them or uses them as parents"));
        }
        String prefix = name.toLowerCase(Locale.ROOT);
        if (!prefix.matches("[0-9a-f]{4,64}")) {
            throw MergeLabException.input("'" + name + "' is neither a candidate id nor an existing path",
                    "give an id from 'mergelab lab list' (at least 4 hex digits) or a model folder");
        }
        List<Candidate> found = query("SELECT " + CANDIDATE_COLUMNS + " FROM candidates c WHERE c.id >= ? AND c.id < ? ORDER BY c.id",
                Registry::candidate, prefix, prefix + "g");
        if (found.isEmpty()) {
            throw MergeLabException.input("no candidate " + name + " in the lab " + lab, "see 'mergelab lab list'");
        }
        if (found.size() > 1) {
            throw MergeLabException.input("id " + name + " is ambiguous: " + String.join(", ", found.stream().limit(5)
                    .map(Candidate::shortId).toList()) + (found.size() > 5 ? ", ..." : ""), "give more digits");
        }
        return found.getFirst();
    }

    /** Edges into {@code id} (its parents), in recipe order. */
    public List<Edge> parentsOf(String id) {
        return query("SELECT parent, child, relation, method, parameters, is_base, position FROM edges WHERE child = ? ORDER BY position, parent",
                Registry::edge, id);
    }

    /** Edges out of {@code id} (its children). */
    public List<Edge> childrenOf(String id) {
        return query("SELECT parent, child, relation, method, parameters, is_base, position FROM edges WHERE parent = ? ORDER BY child",
                Registry::edge, id);
    }

    public List<Edge> edges() {
        return query("SELECT parent, child, relation, method, parameters, is_base, position FROM edges ORDER BY child, position, parent",
                Registry::edge);
    }

    /** Runs that wrote {@code id}, oldest first. */
    public List<Run> runs(String id) {
        return query("SELECT run, candidate, command, method, recipe, recipe_sha256, parameters, tool_version, host, started_at, seconds,"
                + " out_path FROM runs WHERE candidate = ? ORDER BY run", Registry::run, id);
    }

    public List<Run> runs() {
        return query("SELECT run, candidate, command, method, recipe, recipe_sha256, parameters, tool_version, host, started_at, seconds,"
                + " out_path FROM runs ORDER BY run", Registry::run);
    }

    /** Scores of {@code id}, by task and metric. */
    public List<StoredScore> scores(String id) {
        return query("SELECT candidate, task, metric, value, stderr, sample_limit, data_sha256, evaluator, recorded_at FROM scores"
                + " WHERE candidate = ? ORDER BY task, metric, recorded_at", Registry::score, id);
    }

    public List<StoredScore> scores() {
        return query("SELECT candidate, task, metric, value, stderr, sample_limit, data_sha256, evaluator, recorded_at FROM scores"
                + " ORDER BY candidate, task, metric, recorded_at", Registry::score);
    }

    /** What {@link #gc} did. */
    public record Collected(List<Candidate> forgotten, List<Candidate> keptMissing) {
    }

    /**
     * Forgets candidates whose files are gone, with their runs, scores and edges. A missing model that a present one
     * descends from is kept (with its edges), so lineages stay whole down to their base models. Virtual candidates (merged
     * in memory, never written) are never forgotten and count as present.
     */
    public Collected gc() {
        List<Candidate> all = candidates();
        Map<String, Candidate> missing = new LinkedHashMap<>();
        Set<String> present = new HashSet<>();
        for (Candidate c : all) {
            if (c.present() || c.isVirtual()) {
                // a virtual candidate has no files to be gone: it stays, and so do its parents
                present.add(c.id());
            } else {
                missing.put(c.id(), c);
            }
        }
        Set<String> needed = ancestors(present);
        List<Candidate> forget = new ArrayList<>();
        List<Candidate> kept = new ArrayList<>();
        for (Candidate c : missing.values()) {
            (needed.contains(c.id()) ? kept : forget).add(c);
        }
        db.inTransaction(() -> {
            Connection c = db.connection();
            for (String sql : List.of("DELETE FROM edges WHERE child = ?", "DELETE FROM scores WHERE candidate = ?",
                    "DELETE FROM runs WHERE candidate = ?", "DELETE FROM candidates WHERE id = ?")) {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    for (Candidate f : forget) {
                        s.setString(1, f.id());
                        s.executeUpdate();
                    }
                }
            }
            return null;
        });
        return new Collected(forget, kept);
    }

    /** Every ancestor of {@code ids} (not including them unless one descends from another). */
    public Set<String> ancestors(Set<String> ids) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(ids);
        while (!todo.isEmpty()) {
            for (Edge e : parentsOf(todo.pop())) {
                if (seen.add(e.parent())) {
                    todo.push(e.parent());
                }
            }
        }
        return seen;
    }

    /** The database's schema version. */
    public int schemaVersion() {
        return query("SELECT max(version) FROM migrations", rs -> rs.getInt(1)).getFirst();
    }

    private <T> List<T> query(String sql, LabDatabase.Row<T> row, String... args) {
        return db.query(sql, row, args);
    }

    private static int count(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, arg);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static Candidate candidate(ResultSet rs) throws SQLException {
        java.util.SortedMap<String, ContentId.FileEntry> files = new java.util.TreeMap<>();
        parse(rs.getString(7)).properties().forEach(e -> files.put(e.getKey(),
                new ContentId.FileEntry(e.getValue().path("size").asLong(), e.getValue().path("sha256").asText())));
        return new Candidate(rs.getString(1), rs.getString(2), Path.of(rs.getString(3)), rs.getLong(4), rs.getString(5), rs.getString(6),
                files, Instant.parse(rs.getString(8)), Instant.parse(rs.getString(9)), rs.getInt(10));
    }

    private static Edge edge(ResultSet rs) throws SQLException {
        return new Edge(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), parseOrNull(rs.getString(5)), rs.getInt(6) != 0,
                rs.getInt(7));
    }

    private static Run run(ResultSet rs) throws SQLException {
        return new Run(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                parseOrNull(rs.getString(7)), rs.getString(8), rs.getString(9), Instant.parse(rs.getString(10)), rs.getDouble(11),
                Path.of(rs.getString(12)));
    }

    private static StoredScore score(ResultSet rs) throws SQLException {
        double stderr = rs.getDouble(5);
        Double se = rs.wasNull() ? null : stderr;
        long limit = rs.getLong(6);
        String data = rs.getString(7);
        String evaluator = rs.getString(8);
        return new StoredScore(rs.getString(1), new Score(rs.getString(2), rs.getString(3), rs.getDouble(4), se, limit < 0 ? null : limit,
                data.isEmpty() ? null : data, evaluator.isEmpty() ? null : evaluator), Instant.parse(rs.getString(9)));
    }

    private static String json(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return Provenance.JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    private static JsonNode parseOrNull(String text) throws SQLException {
        return text == null ? null : parse(text);
    }

    private static JsonNode parse(String text) throws SQLException {
        try {
            return Provenance.JSON.readTree(text);
        } catch (IOException e) {
            throw new SQLException("unreadable JSON in the lab database: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        db.close();
    }
}
