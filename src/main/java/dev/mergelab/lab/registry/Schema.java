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

    /** Every migration, index 0 being version 1. */
    static final List<List<String>> MIGRATIONS = List.of(V1);

    /** The schema version this MergeLab writes. */
    static final int VERSION = MIGRATIONS.size();

    private Schema() {
    }
}
