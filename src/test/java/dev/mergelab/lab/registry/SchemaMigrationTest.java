package dev.mergelab.lab.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A lab written by an older MergeLab is brought up to the current schema on open, its rows kept. */
class SchemaMigrationTest {

    @Test
    void aVersionOneLabGainsTheSearchTablesAndKeepsItsCandidates() throws Exception {
        Path lab = Files.createDirectories(tmp.resolve("lab"));
        Path db = lab.resolve(LabLocator.DATABASE);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, tool_version TEXT NOT NULL)");
            for (String sql : Schema.MIGRATIONS.get(0)) {
                s.execute(sql);
            }
            s.execute("INSERT INTO migrations VALUES (1, 'then', '0.1')");
            s.execute("INSERT INTO candidates VALUES ('abc', 'model', '/m', 1, 'F32', 'LlamaForCausalLM', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
        }
        try (Registry r = Registry.open(lab, 1000)) {
            assertEquals(Schema.VERSION, r.schemaVersion());
            assertEquals(2, Schema.VERSION);
            assertEquals("abc", r.candidates().get(0).id());
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM search_evals")) {
            rs.next();
            assertEquals(0, rs.getInt(1));
        }
    }

    @TempDir
    Path tmp;
}
