package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.lab.registry.LabLocator;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lab that cannot be written never costs a merge: locked, corrupt, newer or foreign databases give one warning
 * line, the merge's output is complete and its exit code 0, and the database file is left exactly as it was.
 * The lab commands refuse the same databases with one line and exit 2.
 */
class LabFaultsTest {

    @TempDir
    static Path shared;
    static Path recipe;

    @TempDir
    Path tmp;
    Path lab;
    Path db;

    @BeforeAll
    static void family() throws Exception {
        Path fam = shared.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16).withFineTunes(1), fam, 2);
        recipe = shared.resolve("r.yml");
        Files.writeString(recipe, "merge_method: linear\nmodels:\n  - model: " + fam.resolve("base") + "\n    parameters: {weight: 0.5}\n"
                + "  - model: " + fam.resolve("ft1") + "\n    parameters: {weight: 0.5}\n");
    }

    @BeforeEach
    void newLab() {
        lab = tmp.resolve("lab");
        Registry.init(lab).close();
        db = lab.resolve(LabLocator.DATABASE);
    }

    /** Merges with the lab; the merge must succeed with exactly one warning line, which is returned. */
    String mergeWithOneWarning(String out) throws Exception {
        Run r = cli("merge", recipe.toString(), tmp.resolve(out).toString(), "--quiet", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(tmp.resolve(out).resolve("mergelab_manifest.json")));
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("mergelab: warning: not recorded in the lab: "), r.err());
        assertEquals(1, r.out().lines().count(), r.out()); // the merge's own line, no lab line
        return r.err();
    }

    void labCommandRefuses(String expected) {
        Run r = cli("lab", "list", "--lab", lab.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("mergelab: " + expected), r.err());
    }

    @Test
    void aLockedLabWaitsBrieflyThenWarnsNamingTheHolder() throws Exception {
        try (Connection holder = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = holder.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            s.execute("INSERT INTO scores (candidate, task, metric, value, recorded_at) SELECT 'x', 't', 'm', 1, 'now' WHERE 0");
            long t0 = System.nanoTime();
            String warning = mergeWithOneWarning("m");
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(warning.contains(db + " is locked by "), warning);
            // /proc/locks names the process holding the write lock: this JVM
            if (Files.isReadable(Path.of("/proc/locks"))) {
                assertTrue(warning.contains("locked by process " + ProcessHandle.current().pid()), warning);
            }
            assertTrue(waited >= 2.5, "waited " + waited + " s before giving up");
            s.execute("ROLLBACK");
        }
        // once the lock is gone, recording works again
        Run r = cli("merge", recipe.toString(), tmp.resolve("m2").toString(), "--quiet", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("lab: recorded new candidate"), r.out());
    }

    @Test
    void aCorruptLabIsLeftAsItIs() throws Exception {
        byte[] garbage = new byte[8192];
        new java.util.Random(1).nextBytes(garbage);
        Files.write(db, garbage);
        String warning = mergeWithOneWarning("m");
        assertTrue(warning.contains("is not a valid lab database (corrupt or not SQLite)"), warning);
        assertArrayEquals(garbage, Files.readAllBytes(db));
        labCommandRefuses(db + " is not a valid lab database");
        assertArrayEquals(garbage, Files.readAllBytes(db));
    }

    @Test
    void aTruncatedLabIsLeftAsItIs() throws Exception {
        cli("merge", recipe.toString(), tmp.resolve("first").toString(), "--quiet", "--lab", lab.toString());
        byte[] whole = Files.readAllBytes(db);
        byte[] head = java.util.Arrays.copyOf(whole, 100); // the header survives, the pages do not
        Files.write(db, head);
        String warning = mergeWithOneWarning("m");
        assertTrue(warning.contains("not a valid lab database"), warning);
        assertArrayEquals(head, Files.readAllBytes(db));
    }

    @Test
    void aLabOfANewerSchemaIsRefusedAndNotRewritten() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("INSERT INTO migrations VALUES (99, 'later', '9.9.9')");
        }
        byte[] before = Files.readAllBytes(db);
        String warning = mergeWithOneWarning("m");
        assertTrue(warning.contains(db + " has lab schema version 99; this MergeLab"), warning);
        labCommandRefuses(db + " has lab schema version 99");
        assertArrayEquals(before, Files.readAllBytes(db));
    }

    @Test
    void aSqliteDatabaseThatIsNoLabIsRefused() throws Exception {
        Files.delete(db);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE other (x)");
        }
        byte[] before = Files.readAllBytes(db);
        String warning = mergeWithOneWarning("m");
        assertTrue(warning.contains("is a SQLite database but not a MergeLab lab"), warning);
        assertArrayEquals(before, Files.readAllBytes(db));
    }
}
