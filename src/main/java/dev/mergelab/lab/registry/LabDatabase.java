package dev.mergelab.lab.registry;

import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import org.sqlite.SQLiteOpenMode;

/**
 * One connection to a lab's SQLite database, in WAL mode (readers never wait for a writer, and two merges that
 * finish together both get recorded: the second waits up to the busy timeout for the first's short write). The
 * schema is checked on opening: an older one is migrated inside one write transaction, a newer one or a file
 * that is not a SQLite database is refused with one line and left exactly as it is.
 */
final class LabDatabase implements AutoCloseable {

    private final Path file;
    private final Connection connection;

    private LabDatabase(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Creates the lab folder and its database (or opens an existing one), migrated to the current schema. */
    static LabDatabase create(Path labDir, int busyMillis) {
        try {
            Files.createDirectories(labDir);
        } catch (IOException e) {
            throw MergeLabException.input("cannot create the lab folder " + labDir + ": " + e.getMessage(), null);
        }
        return open(labDir.resolve(LabLocator.DATABASE), busyMillis, true);
    }

    /** Opens an existing lab's database (never creates one: a lab folder without it is not a lab). */
    static LabDatabase open(Path labDir, int busyMillis) {
        return open(labDir.resolve(LabLocator.DATABASE), busyMillis, false);
    }

    private static LabDatabase open(Path file, int busyMillis, boolean create) {
        SQLiteConfig config = new SQLiteConfig();
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        if (create) {
            config.setOpenMode(SQLiteOpenMode.CREATE);
        }
        config.setBusyTimeout(busyMillis);
        config.enforceForeignKeys(true);
        Connection c;
        try {
            c = config.createConnection("jdbc:sqlite:" + file);
        } catch (SQLException e) {
            throw failure(file, e);
        }
        LabDatabase db = new LabDatabase(file, c);
        try {
            db.checkAndMigrate();
            return db;
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    Connection connection() {
        return connection;
    }

    Path file() {
        return file;
    }

    /** The schema version found, before any migration: 0 for an empty database. */
    private int storedVersion(Statement s) throws SQLException {
        try (ResultSet r = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'")) {
            r.next();
            if (r.getInt(1) == 0) {
                try (ResultSet any = s.executeQuery("SELECT count(*) FROM sqlite_master")) {
                    any.next();
                    if (any.getInt(1) > 0) {
                        throw MergeLabException.input(file + " is a SQLite database but not a MergeLab lab", "it was left as is; point --lab at a lab folder");
                    }
                }
                return 0;
            }
        }
        try (ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM migrations")) {
            r.next();
            return r.getInt(1);
        }
    }

    private void checkAndMigrate() {
        try (Statement s = connection.createStatement()) {
            int version = storedVersion(s);
            if (version > Schema.VERSION) {
                throw newer(version);
            }
            if (version == Schema.VERSION) {
                return;
            }
            // WAL is a property of the file: set once, before the first write, it stays for every later connection.
            try (ResultSet r = s.executeQuery("PRAGMA journal_mode = WAL")) {
                r.next();
            }
            inTransaction(() -> {
                try (Statement t = connection.createStatement()) {
                    t.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, tool_version TEXT NOT NULL)");
                    int now = storedVersion(t); // another process may have migrated while we waited for the lock
                    if (now > Schema.VERSION) {
                        throw newer(now);
                    }
                    for (int v = now + 1; v <= Schema.VERSION; v++) {
                        for (String sql : Schema.MIGRATIONS.get(v - 1)) {
                            t.execute(sql);
                        }
                        t.execute("INSERT INTO migrations VALUES (" + v + ", '" + Instant.now() + "', '" + Version.VERSION + "')");
                    }
                }
                return null;
            });
        } catch (SQLException e) {
            throw failure(file, e);
        }
    }

    private MergeLabException newer(int version) {
        return MergeLabException.input(file + " has lab schema version " + version + "; this MergeLab " + Version.VERSION
                + " knows up to " + Schema.VERSION, "use a newer MergeLab; the database was left as is");
    }

    /** Work that runs inside one write transaction (taken at the start, so concurrent writers queue instead of deadlocking). */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    /** Reads one result row. */
    @FunctionalInterface
    interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** The rows {@code sql} selects with {@code args} bound as strings, in order; a failure is one line naming the file. */
    <T> List<T> query(String sql, Row<T> row, String... args) {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            for (int k = 0; k < args.length; k++) {
                s.setString(k + 1, args[k]);
            }
            List<T> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(row.read(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure(file, e);
        }
    }

    <T> T inTransaction(Work<T> work) {
        // One connection, one transaction at a time: a search records the candidates it evaluates in parallel from
        // several threads, and SQLite refuses a BEGIN inside another thread's open transaction on the same connection.
        synchronized (connection) {
            return inTransactionLocked(work);
        }
    }

    private <T> T inTransactionLocked(Work<T> work) {
        // The connection stays in auto-commit mode and the transaction is spelled out: the driver's own
        // setAutoCommit(false) would begin the next transaction right after each commit and hold the lock idle.
        try (Statement s = connection.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            try {
                T result = work.run();
                s.execute("COMMIT");
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    s.execute("ROLLBACK");
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw failure(file, e);
        }
    }

    /** One line for a database error: locked, corrupt, or something else, naming the file. */
    static MergeLabException failure(Path file, SQLException e) {
        SQLiteErrorCode code = e instanceof SQLiteException se ? se.getResultCode() : null;
        int primary = code == null ? -1 : code.code & 0xff;
        if (primary == SQLiteErrorCode.SQLITE_BUSY.code || primary == SQLiteErrorCode.SQLITE_LOCKED.code) {
            List<Long> holders = LockHolders.of(file);
            String who = holders.isEmpty() ? "another process" : "process " + holders.stream().map(String::valueOf)
                    .reduce((a, b) -> a + ", " + b).orElseThrow();
            return MergeLabException.input(file + " is locked by " + who, "wait for it to finish and retry");
        }
        if (primary == SQLiteErrorCode.SQLITE_NOTADB.code || primary == SQLiteErrorCode.SQLITE_CORRUPT.code) {
            return MergeLabException.input(file + " is not a valid lab database (corrupt or not SQLite)",
                    "it was left as is; move it away and run 'mergelab lab init' to start a new lab");
        }
        if (primary == SQLiteErrorCode.SQLITE_CANTOPEN.code || primary == SQLiteErrorCode.SQLITE_READONLY.code) {
            return MergeLabException.input("cannot write " + file + ": " + firstLine(e), "check the lab folder's permissions");
        }
        return MergeLabException.input("lab database " + file + ": " + firstLine(e), null);
    }

    private static String firstLine(SQLException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // nothing left to do with a connection that will not close
        }
    }
}
