package dev.mergelab.lab.registry;

import java.util.List;

/**
 * The database schema as numbered migrations: step N brings a version N-1 database to version N. Steps are only
 * ever appended; a database whose newest migration is above {@link #VERSION} was written by a newer MergeLab and is
 * refused, never rewritten.
 */
final class Schema {

    /**
     * Version 1. Candidates (files: a JSON object from file name to its size and sha256) are keyed by content id (SHA-256 of the canonical file list, {@link ContentId}); an
     * edge is "parent contributed to child", keyed so re-recording the same candidate adds no duplicate; scores
     * are unique per (candidate, task, metric, limit, data, evaluator) so re-evaluating replaces the value. NOT
     * NULL defaults of -1 and '' stand for "all examples" and "unknown" because SQLite's UNIQUE treats NULLs as
     * distinct.
     */
    private static final List<String> V1 = List.of("""
            CREATE TABLE candidates (
              id TEXT PRIMARY KEY,
              kind TEXT NOT NULL,
              path TEXT NOT NULL,
              size INTEGER NOT NULL,
              dtype TEXT,
              architecture TEXT,
              files TEXT NOT NULL,
              first_seen TEXT NOT NULL,
              last_seen TEXT NOT NULL)""", """
            CREATE TABLE runs (
              run INTEGER PRIMARY KEY AUTOINCREMENT,
              candidate TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
              command TEXT NOT NULL,
              method TEXT,
              recipe TEXT,
              recipe_sha256 TEXT,
              parameters TEXT,
              tool_version TEXT NOT NULL,
              host TEXT NOT NULL,
              started_at TEXT NOT NULL,
              seconds REAL NOT NULL,
              out_path TEXT NOT NULL)""", """
            CREATE TABLE edges (
              child TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
              parent TEXT NOT NULL REFERENCES candidates(id),
              relation TEXT NOT NULL,
              method TEXT,
              parameters TEXT,
              is_base INTEGER NOT NULL DEFAULT 0,
              position INTEGER NOT NULL,
              PRIMARY KEY (child, parent, relation))""", """
            CREATE TABLE scores (
              candidate TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
              task TEXT NOT NULL,
              metric TEXT NOT NULL,
              value REAL NOT NULL,
              stderr REAL,
              sample_limit INTEGER NOT NULL DEFAULT -1,
              data_sha256 TEXT NOT NULL DEFAULT '',
              evaluator TEXT NOT NULL DEFAULT '',
              recorded_at TEXT NOT NULL,
              PRIMARY KEY (candidate, task, metric, sample_limit, data_sha256, evaluator))""",
            "CREATE INDEX edges_parent ON edges(parent)",
            "CREATE INDEX runs_candidate ON runs(candidate)");

    /**
     * Version 2: searches and soups. A search (or soup) is keyed by a content id of its configuration, seed and
     * parents, so starting the same search again finds its row and continues. Each evaluation the optimiser asks
     * for is one {@code search_evals} row in the optimiser's deterministic order ({@code step}), holding the
     * genotype the optimiser proposed (JSON array), the canonical merge recipe it decoded to, the candidate it
     * was recorded as (an in-memory child is a candidate of kind {@code virtual}: no path, no files, its id the
     * hash of its canonical recipe and its parents' ids), each objective's value in the order of
     * {@code searches.objectives} (a JSON array of {@code {"task", "metric", "weight"}}), and the scalar fitness
     * the optimiser minimises. A resumed search replays recorded steps instead of evaluating them again.
     */
    private static final List<String> V2 = List.of("""
            CREATE TABLE searches (
              id TEXT PRIMARY KEY,
              kind TEXT NOT NULL,
              config TEXT NOT NULL,
              objectives TEXT NOT NULL,
              seed INTEGER NOT NULL,
              out_path TEXT NOT NULL,
              started_at TEXT NOT NULL,
              finished_at TEXT,
              best TEXT REFERENCES candidates(id))""", """
            CREATE TABLE search_evals (
              search TEXT NOT NULL REFERENCES searches(id) ON DELETE CASCADE,
              step INTEGER NOT NULL,
              generation INTEGER NOT NULL,
              genotype TEXT NOT NULL,
              recipe TEXT NOT NULL,
              candidate TEXT REFERENCES candidates(id),
              objectives TEXT NOT NULL,
              fitness REAL NOT NULL,
              merge_seconds REAL NOT NULL,
              eval_seconds REAL NOT NULL,
              recorded_at TEXT NOT NULL,
              PRIMARY KEY (search, step))""",
            "CREATE INDEX search_evals_candidate ON search_evals(candidate)");

    /** Every migration, index 0 being version 1. */
    static final List<List<String>> MIGRATIONS = List.of(V1, V2);

    /** The schema version this MergeLab writes. */
    static final int VERSION = MIGRATIONS.size();

    private Schema() {
    }
}
