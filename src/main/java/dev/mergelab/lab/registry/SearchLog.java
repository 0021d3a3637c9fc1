package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The {@code searches} and {@code search_evals} tables (schema version 2, {@link Schema}): a soup or search is created
 * once and found again by its id (so a killed run continues), each evaluation is appended in step order, and the
 * run is marked finished with its best candidate. Each write is one short transaction. Get one from
 * {@link Registry#searchLog()}; it lives as long as its registry.
 */
public final class SearchLog {

    private final LabDatabase db;

    SearchLog(LabDatabase db) {
        this.db = db;
    }

    /**
     * A search or soup.
     *
     * @param kind       {@code soup}, {@code search}, ...
     * @param config     its configuration (JSON)
     * @param objectives a JSON array of {@code {"task", "metric", "weight"}}
     * @param finishedAt null while it runs (or was killed)
     * @param best       the best candidate's id once finished, else null
     */
    public record Search(String id, String kind, JsonNode config, JsonNode objectives, long seed, Path outPath, Instant startedAt,
            Instant finishedAt, String best) {
    }

    /**
     * One evaluation a search asked for.
     *
     * @param genotype   what the optimiser proposed (JSON array)
     * @param recipe     the canonical recipe it decoded to
     * @param candidate  the (virtual) candidate it was recorded as, or null
     * @param objectives each objective's value, in the order of {@link Search#objectives()} (JSON array)
     * @param fitness    the scalar the optimiser uses
     * @param recordedAt set by {@link #append} (ignored there)
     */
    public record Eval(String search, int step, int generation, JsonNode genotype, String recipe, String candidate, JsonNode objectives,
            double fitness, double mergeSeconds, double evalSeconds, Instant recordedAt) {
    }

    /**
     * The search {@code id}: the recorded one when it exists (its stored configuration is kept, whatever is passed),
     * else a new row with these values.
     */
    public Search createOrFind(String id, String kind, JsonNode config, JsonNode objectives, long seed, Path outPath) {
        db.inTransaction(() -> {
            try (PreparedStatement s = db.connection().prepareStatement("INSERT OR IGNORE INTO searches (id, kind, config, objectives, seed,"
                    + " out_path, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                s.setString(1, id);
                s.setString(2, kind);
                s.setString(3, config.toString());
                s.setString(4, objectives.toString());
                s.setLong(5, seed);
                s.setString(6, outPath.toAbsolutePath().normalize().toString());
                s.setString(7, Instant.now().toString());
                s.executeUpdate();
            }
            return null;
        });
        return find(id).orElseThrow();
    }

    public Optional<Search> find(String id) {
        return query("SELECT id, kind, config, objectives, seed, out_path, started_at, finished_at, best FROM searches WHERE id = ?",
                SearchLog::search, id).stream().findFirst();
    }

    /** Every search and soup, oldest first. */
    public List<Search> all() {
        return query("SELECT id, kind, config, objectives, seed, out_path, started_at, finished_at, best FROM searches ORDER BY started_at, id",
                SearchLog::search);
    }

    /**
     * Appends an evaluation; false (and nothing written) when that step is already recorded, as when a resumed search
     * replays it.
     */
    public boolean append(Eval e) {
        return db.inTransaction(() -> {
            try (PreparedStatement s = db.connection().prepareStatement("INSERT OR IGNORE INTO search_evals (search, step, generation,"
                    + " genotype, recipe, candidate, objectives, fitness, merge_seconds, eval_seconds, recorded_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                s.setString(1, e.search());
                s.setInt(2, e.step());
                s.setInt(3, e.generation());
                s.setString(4, e.genotype().toString());
                s.setString(5, e.recipe());
                if (e.candidate() == null) {
                    s.setNull(6, Types.VARCHAR);
                } else {
                    s.setString(6, e.candidate());
                }
                s.setString(7, e.objectives().toString());
                s.setDouble(8, e.fitness());
                s.setDouble(9, e.mergeSeconds());
                s.setDouble(10, e.evalSeconds());
                s.setString(11, Instant.now().toString());
                return s.executeUpdate() > 0;
            }
        });
    }

    /** The evaluations of search {@code id}, in step order. */
    public List<Eval> evals(String id) {
        return query("SELECT search, step, generation, genotype, recipe, candidate, objectives, fitness, merge_seconds, eval_seconds,"
                + " recorded_at FROM search_evals WHERE search = ? ORDER BY step", SearchLog::eval, id);
    }

    /** Marks search {@code id} finished now, with its best candidate (null when it has none). */
    public void finish(String id, String best) {
        db.inTransaction(() -> {
            try (PreparedStatement s = db.connection().prepareStatement("UPDATE searches SET finished_at = ?, best = ? WHERE id = ?")) {
                s.setString(1, Instant.now().toString());
                if (best == null) {
                    s.setNull(2, Types.VARCHAR);
                } else {
                    s.setString(2, best);
                }
                s.setString(3, id);
                s.executeUpdate();
            }
            return null;
        });
    }

    private <T> List<T> query(String sql, LabDatabase.Row<T> row, String... args) {
        return db.query(sql, row, args);
    }

    private static Search search(ResultSet rs) throws SQLException {
        String finished = rs.getString(8);
        return new Search(rs.getString(1), rs.getString(2), json(rs.getString(3)), json(rs.getString(4)), rs.getLong(5),
                Path.of(rs.getString(6)), Instant.parse(rs.getString(7)), finished == null ? null : Instant.parse(finished), rs.getString(9));
    }

    private static Eval eval(ResultSet rs) throws SQLException {
        return new Eval(rs.getString(1), rs.getInt(2), rs.getInt(3), json(rs.getString(4)), rs.getString(5), rs.getString(6),
                json(rs.getString(7)), rs.getDouble(8), rs.getDouble(9), rs.getDouble(10), Instant.parse(rs.getString(11)));
    }

    private static JsonNode json(String text) throws SQLException {
        try {
            return Provenance.JSON.readTree(text);
        } catch (IOException e) {
            throw new SQLException("unreadable JSON in the lab database: " + e.getMessage(), e);
        }
    }
}
