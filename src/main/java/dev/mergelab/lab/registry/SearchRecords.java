package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Read-only access to the searches and soups of a lab (schema version 2: {@code searches} and {@code search_evals},
 * written by {@code search} and {@code soup}): what the web view and reports show. It never writes; it has its own
 * connection so that readers need nothing from the code that records searches.
 */
public final class SearchRecords implements AutoCloseable {

    /** One objective of a search, as {@code searches.objectives} lists it; a negative weight minimises the metric. */
    public record Objective(String task, String metric, double weight) {

        /** True when a larger value of this objective is better (weight 0 counts as maximise). */
        public boolean maximise() {
            return weight >= 0;
        }
    }

    /**
     * A search or soup run.
     *
     * @param evaluations how many evaluations it has recorded
     * @param bestFitness the lowest fitness recorded (the optimisers minimise it), null before the first evaluation
     * @param finished    null while it runs (or after it was killed)
     * @param best        the candidate id of its best child, null until it has one
     */
    public record Search(String id, String kind, JsonNode config, List<Objective> objectives, long seed, String outPath,
            Instant started, Instant finished, String best, int evaluations, Double bestFitness) {
    }

    /** One evaluation a search asked for; {@code objectives} holds one value per objective of the search, in its order. */
    public record Evaluation(int step, int generation, JsonNode genotype, String recipe, String candidate, List<Double> objectives,
            double fitness, double mergeSeconds, double evalSeconds, Instant recorded) {
    }

    private final LabDatabase db;

    private SearchRecords(LabDatabase db) {
        this.db = db;
    }

    /** Opens the lab's database for reading searches; locked, corrupt or newer databases are one-line errors. */
    public static SearchRecords open(Path labDir, int busyMillis) {
        return new SearchRecords(LabDatabase.open(labDir, busyMillis));
    }

    private static final String SEARCH_COLUMNS = "s.id, s.kind, s.config, s.objectives, s.seed, s.out_path, s.started_at, s.finished_at,"
            + " s.best, (SELECT count(*) FROM search_evals e WHERE e.search = s.id), (SELECT min(e.fitness) FROM search_evals e WHERE e.search = s.id)";

    /** Every search, newest first. */
    public List<Search> searches() {
        return query("SELECT " + SEARCH_COLUMNS + " FROM searches s ORDER BY s.started_at DESC, s.id", SearchRecords::search);
    }

    /** The search with this id, or the only one whose id starts with this prefix; empty when none or several match. */
    public Optional<Search> search(String idOrPrefix) {
        List<Search> found = query("SELECT " + SEARCH_COLUMNS + " FROM searches s WHERE s.id >= ? AND s.id < ? ORDER BY s.id LIMIT 2",
                SearchRecords::search, idOrPrefix, idOrPrefix + "\uffff");
        return found.size() == 1 || !found.isEmpty() && found.getFirst().id().equals(idOrPrefix) ? Optional.of(found.getFirst()) : Optional.empty();
    }

    /** A search's evaluations in the optimiser's order. */
    public List<Evaluation> evaluations(String searchId) {
        return query("SELECT step, generation, genotype, recipe, candidate, objectives, fitness, merge_seconds, eval_seconds, recorded_at"
                + " FROM search_evals WHERE search = ? ORDER BY step", SearchRecords::evaluation, searchId);
    }

    /** An evaluation with the search that asked for it. */
    public record SearchEvaluation(String search, String searchKind, Evaluation evaluation) {
    }

    /** Every evaluation of {@code candidateId} by any search or soup (an in-memory child's only record of its scores and recipe). */
    public List<SearchEvaluation> evaluationsOf(String candidateId) {
        return query("SELECT e.step, e.generation, e.genotype, e.recipe, e.candidate, e.objectives, e.fitness, e.merge_seconds, e.eval_seconds,"
                + " e.recorded_at, e.search, s.kind FROM search_evals e JOIN searches s ON s.id = e.search WHERE e.candidate = ?"
                + " ORDER BY s.started_at, e.search, e.step", rs -> new SearchEvaluation(rs.getString(11), rs.getString(12), evaluation(rs)), candidateId);
    }

    private <T> List<T> query(String sql, LabDatabase.Row<T> row, String... args) {
        return db.query(sql, row, args);
    }

    private static Search search(ResultSet rs) throws SQLException {
        List<Objective> objectives = new ArrayList<>();
        for (JsonNode o : parse(rs.getString(4))) {
            objectives.add(new Objective(o.path("task").asText(), o.path("metric").asText(), o.path("weight").asDouble(1)));
        }
        String finished = rs.getString(8);
        double best = rs.getDouble(11);
        Double bestFitness = rs.wasNull() ? null : best;
        return new Search(rs.getString(1), rs.getString(2), config(rs.getString(3)), List.copyOf(objectives), rs.getLong(5), rs.getString(6),
                Instant.parse(rs.getString(7)), finished == null ? null : Instant.parse(finished), rs.getString(9), rs.getInt(10), bestFitness);
    }

    private static Evaluation evaluation(ResultSet rs) throws SQLException {
        List<Double> objectives = new ArrayList<>();
        for (JsonNode v : parse(rs.getString(6))) {
            objectives.add(v.isNumber() ? v.asDouble() : null);
        }
        return new Evaluation(rs.getInt(1), rs.getInt(2), parse(rs.getString(3)), rs.getString(4), rs.getString(5),
                java.util.Collections.unmodifiableList(objectives), rs.getDouble(7), rs.getDouble(8), rs.getDouble(9),
                Instant.parse(rs.getString(10)));
    }

    private static JsonNode parse(String text) throws SQLException {
        try {
            return Provenance.JSON.readTree(text);
        } catch (IOException e) {
            throw new SQLException("unreadable JSON in the lab database: " + e.getMessage(), e);
        }
    }

    /** The configuration as stored: a JSON object or array becomes a tree, anything else (YAML) stays text. */
    private static JsonNode config(String text) throws SQLException {
        String t = text.strip();
        return t.startsWith("{") || t.startsWith("[") ? parse(text) : Provenance.JSON.getNodeFactory().textNode(text);
    }

    @Override
    public void close() {
        db.close();
    }
}
