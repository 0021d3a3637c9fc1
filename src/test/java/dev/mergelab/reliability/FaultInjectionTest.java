package dev.mergelab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.cli.TruncationProbe;
import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into real merges: a full disk, an unwritable output folder, a parent file truncated or
 * rewritten while mapped, SIGINT and SIGKILL at random moments of a {@code mergelab merge} child JVM, and two
 * merges racing for one OUT_DIR. The invariants: OUT_DIR is absent or a complete folder that passes
 * {@code verify} (an existing one replaced with --force is the old or the new folder, byte for byte, never a
 * mix); temporary folders are removed by the failing run or, after SIGKILL, by the next run; every failure is
 * one line and exit code 2; the JVM never crashes. Counts go to stdout (the surefire report) for TESTING.md.
 */
class FaultInjectionTest {

    @TempDir
    static Path tmp;
    static Path fam;
    static Path recipeA;
    static Path recipeB;
    static final SplittableRandom RANDOM = new SplittableRandom(Long.getLong("mergelab.faults.seed", 20261123L));
    /** Rounds of the random-signal tests; raise with -Dmergelab.faults.rounds=N for a longer campaign. */
    static final int ROUNDS = Integer.getInteger("mergelab.faults.rounds", 4);

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        // ~2.4 MB per model in BF16, written as 512 kB shards: a merge has several files to write (and
        // overflows a 1 MB disk), yet takes only seconds on a loaded machine.
        FamilyGenerator.generate(new FamilySpec(4, 128, 320, 4, 2, 512, DType.BF16, 2, 400_000, false, 5), fam, 2);
        recipeA = tmp.resolve("a.yml");
        Files.writeString(recipeA, ("merge_method: linear\nmodels:\n  - model: FAM/ft1\n    parameters: {weight: 0.5}\n"
                + "  - model: FAM/ft2\n    parameters: {weight: 0.5}\n").replace("FAM", fam.toString()));
        recipeB = tmp.resolve("b.yml");
        Files.writeString(recipeB, ("merge_method: task_arithmetic\nbase_model: FAM/base\nmodels:\n  - model: FAM/ft1\n"
                + "    parameters: {weight: 0.6}\n  - model: FAM/ft2\n    parameters: {weight: 0.4}\n")
                .replace("FAM", fam.toString()));
    }

    static String[] merge(Path recipe, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("merge", recipe.toString(), out.toString(), "--quiet", "--threads", "2",
                "--out-shard-size", "512kB"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    static String read(Path logPrefix) {
        try {
            return Cli.err(logPrefix);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Absent, or complete: verify finds nothing. */
    static void absentOrComplete(Path out) {
        if (Files.exists(out)) {
            assertEquals(List.of(), ModelFolderCheck.verify(out), out + " exists but is not complete");
        }
    }

    /** stderr without the JVM's own start-up notice about the incubating Vector API (the launcher prints it too). */
    static String withoutJvmNotice(String err) {
        return err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
    }

    static void assertOneLineError(int code, String rawErr, String fragment) {
        String err = withoutJvmNotice(rawErr);
        assertEquals(2, code, err);
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.contains(fragment), () -> "expected '" + fragment + "' in: " + err);
    }

    // ---------------------------------------------------------------- signals

    /**
     * Sends {@code sig} at a random point of the child's merge, defined by its progress rather than by wall
     * time (which varies tenfold on a loaded machine): stage 0 is 0-300 ms after start (JVM start-up, planning);
     * stage k is the moment the temporary folder beside OUT_DIR first holds k files (shards are created up
     * front, then config, tokenizer, recipe, card and manifest follow); a stage past the last file lets the
     * merge finish. Returns a description of where the signal landed.
     */
    static String signalAtRandomStage(Process p, Path parent, String sig) throws Exception {
        int stage = RANDOM.nextInt(14);
        if (stage == 0) {
            int ms = RANDOM.nextInt(300);
            if (!p.waitFor(ms, TimeUnit.MILLISECONDS)) {
                Cli.signal(p, sig);
                return "start+" + ms + "ms";
            }
            return "finished first";
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (tempFiles(parent) >= stage) {
                Cli.signal(p, sig);
                return stage + " files";
            }
            Thread.sleep(1);
        }
        return "finished first";
    }

    static int tempFiles(Path parent) {
        int most = 0;
        try (Stream<Path> s = Files.list(parent)) {
            for (Path d : s.filter(x -> x.getFileName().toString().contains(".mergelab-tmp-")).toList()) {
                try (Stream<Path> f = Files.list(d)) {
                    most = Math.max(most, (int) f.count());
                } catch (IOException gone) {
                    // removed meanwhile
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return most;
    }

    @Test
    void sigintAtRandomMomentsLeavesNoTempAndNoPartialOutput() throws Exception {
        Path parent = Files.createDirectories(tmp.resolve("sigint"));
        int interrupted = 0;
        int completed = 0;
        for (int i = 0; i < ROUNDS; i++) {
            Path out = parent.resolve("out" + i);
            Path log = tmp.resolve("sigint-" + i + ".log");
            Process p = Cli.start(log, merge(recipeB, out));
            String delay = signalAtRandomStage(p, parent, "INT");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not exit after SIGINT");
            absentOrComplete(out);
            if (Files.exists(out)) {
                completed++;
            } else {
                interrupted++;
            }
            // The Ctrl-C hook removed the temporary folder (or the merge finished first).
            assertEquals(List.of(), Cli.leftovers(parent), "after SIGINT at " + delay);
        }
        System.out.printf("fault injection: SIGINT x%d: %d interrupted (no OUT_DIR, no temp), %d had completed%n", ROUNDS,
                interrupted, completed);
        assertTrue(interrupted > 0, "no SIGINT landed inside a merge");
    }

    @Test
    void sigkillAtRandomMomentsNeverDamagesOutDirAndTheNextRunCleansUp() throws Exception {
        // Reference outputs of both recipes under the same folder name (the card is titled after it).
        Map<String, String> hashesA = reference(recipeA, "refA");
        Map<String, String> hashesB = reference(recipeB, "refB");
        assertFalse(hashesA.equals(hashesB));

        Path parent = Files.createDirectories(tmp.resolve("sigkill"));
        Path out = parent.resolve("out");
        Process first = Cli.start(tmp.resolve("sigkill-first.log"), merge(recipeA, out));
        assertEquals(0, first.waitFor(), () -> read(tmp.resolve("sigkill-first.log")));
        Map<String, String> current = Cli.hashes(out);
        assertEquals(hashesA, current);

        int killedBeforePublish = 0;
        int replaced = 0;
        for (int i = 0; i < ROUNDS; i++) {
            boolean hasA = current.equals(hashesA);
            Path log = tmp.resolve("sigkill-" + i + ".log");
            Process p = Cli.start(log, merge(hasA ? recipeB : recipeA, out, "--force"));
            String delay = signalAtRandomStage(p, parent, "KILL");
            p.waitFor();
            // Never absent, never a mix: byte for byte the old or the new complete folder.
            assertTrue(Files.isDirectory(out), "OUT_DIR vanished after SIGKILL at " + delay);
            Map<String, String> now = Cli.hashes(out);
            assertTrue(now.equals(hashesA) || now.equals(hashesB), "OUT_DIR is a mix after SIGKILL at " + delay + ": " + now.keySet());
            if (now.equals(current)) {
                killedBeforePublish++;
            } else {
                replaced++;
            }
            current = now;
        }
        // The next complete run removes what killed runs left (their processes are dead).
        Process last = Cli.start(tmp.resolve("sigkill-last.log"), merge(recipeA, out, "--force"));
        assertEquals(0, last.waitFor(), () -> read(tmp.resolve("sigkill-last.log")));
        assertEquals(hashesA, Cli.hashes(out));
        assertEquals(List.of(), Cli.leftovers(parent));

        // Fresh OUT_DIR: after SIGKILL it is absent or complete.
        Path freshParent = Files.createDirectories(tmp.resolve("sigkill-fresh"));
        Path fresh = freshParent.resolve("out");
        int freshAbsent = 0;
        for (int i = 0; i < ROUNDS; i++) {
            Process p = Cli.start(tmp.resolve("sigkill-fresh-" + i + ".log"), merge(recipeB, fresh, "--force"));
            signalAtRandomStage(p, freshParent, "KILL");
            p.waitFor();
            absentOrComplete(fresh);
            if (Files.exists(fresh)) {
                assertEquals(hashesB, Cli.hashes(fresh));
                OutputChecksTest.deleteTree(fresh);
            } else {
                freshAbsent++;
            }
        }
        Process again = Cli.start(tmp.resolve("sigkill-fresh-last.log"), merge(recipeB, fresh));
        assertEquals(0, again.waitFor(), () -> read(tmp.resolve("sigkill-fresh-last.log")));
        assertEquals(List.of(), Cli.leftovers(freshParent));
        System.out.printf("fault injection: SIGKILL x%d on an existing OUT_DIR (--force): %d before publishing (old kept), "
                + "%d after (new complete), 0 mixed; SIGKILL x%d on a fresh OUT_DIR: %d left none%n", ROUNDS, killedBeforePublish,
                replaced, ROUNDS, freshAbsent);
        assertTrue(killedBeforePublish > 0, "no SIGKILL landed inside a merge");
    }

    static Map<String, String> reference(Path recipe, String dir) throws Exception {
        Path out = Files.createDirectories(tmp.resolve(dir)).resolve("out");
        Process p = Cli.start(tmp.resolve(dir + ".log"), merge(recipe, out));
        assertEquals(0, p.waitFor(), () -> read(tmp.resolve(dir + ".log")));
        return Cli.hashes(out);
    }

    @Test
    void twoMergesIntoOneOutDirAtOnceOneWinsTheOtherFailsClearly() throws Exception {
        for (int round = 0; round < 3; round++) {
            Path parent = Files.createDirectories(tmp.resolve("race" + round));
            Path out = parent.resolve("out");
            Process a = Cli.start(tmp.resolve("race" + round + "a.log"), merge(recipeA, out));
            Process b = Cli.start(tmp.resolve("race" + round + "b.log"), merge(recipeB, out));
            int ca = a.waitFor();
            int cb = b.waitFor();
            String ea = withoutJvmNotice(read(tmp.resolve("race" + round + "a.log")));
            String eb = withoutJvmNotice(read(tmp.resolve("race" + round + "b.log")));
            assertTrue((ca == 0) != (cb == 0), "exactly one wins: " + ca + " " + ea + " / " + cb + " " + eb);
            String loser = ca == 0 ? eb : ea;
            assertEquals(2, ca == 0 ? cb : ca, loser);
            assertEquals(1, loser.strip().lines().count(), loser);
            assertTrue(loser.contains("already exists") || loser.contains("appeared while merging")
                    || loser.contains("created by another process"), loser);
            assertEquals(List.of(), ModelFolderCheck.verify(out));
            assertEquals(Cli.hashes(out).get("mergelab_recipe.yml"),
                    dev.mergelab.engine.FileHashes.sha256(ca == 0 ? recipeA : recipeB), "the winner's folder, whole");
            assertEquals(List.of(), Cli.leftovers(parent));
        }
    }

    // ---------------------------------------------------------------- disk

    static boolean mount(Path dir, String options) {
        try {
            Files.createDirectories(dir);
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString()).redirectErrorStream(true).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static void umount(Path dir) throws Exception {
        new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor(20, TimeUnit.SECONDS);
    }

    @Test
    void diskFullOnAOneMegabyteTmpfs() throws Exception {
        Path small = tmp.resolve("small-disk");
        assumeTrue(mount(small, "size=1m"), "mounting a tmpfs is not permitted here; see diskFullEmulatedByFileSizeLimit");
        try {
            Path out = small.resolve("out");
            Cli.Run r = Cli.run(merge(recipeA, out));
            assertOneLineError(r.code(), r.err(), "No space left on device");
            assertTrue(r.err().contains("free disk space"), "the file system, not the message, says the disk is full: " + r.err());
            assertTrue(r.err().contains("nothing was left at the output path"), r.err());
            assertFalse(Files.exists(out));
            try (Stream<Path> s = Files.list(small)) {
                assertEquals(List.of(), s.toList(), "the full disk was left with files");
            }
        } finally {
            umount(small);
        }
    }

    @Test
    void diskFullEmulatedByFileSizeLimit() throws Exception {
        // Works without privileges: RLIMIT_FSIZE makes writes past 256 KiB fail (EFBIG; the JVM ignores SIGXFSZ).
        Path parent = Files.createDirectories(tmp.resolve("fsize"));
        Path out = parent.resolve("out");
        List<String> java = Cli.javaCommand(dev.mergelab.cli.Main.class.getName(), merge(recipeA, out));
        StringBuilder cmd = new StringBuilder("ulimit -f 256; exec");
        for (String s : java) {
            cmd.append(" '").append(s.replace("'", "'\\''")).append('\'');
        }
        Process p = new ProcessBuilder("bash", "-c", cmd.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertOneLineError(p.waitFor(), output, "File too large");
        assertFalse(Files.exists(out));
        assertEquals(List.of(), Cli.leftovers(parent));
    }

    @Test
    void readOnlyOutputFileSystem() throws Exception {
        Path ro = tmp.resolve("ro-disk");
        assumeTrue(mount(ro, "size=1m,ro"), "mounting a tmpfs is not permitted here");
        try {
            Cli.Run r = Cli.run(merge(recipeA, ro.resolve("out")));
            assertOneLineError(r.code(), r.err(), "Read-only file system");
            assertFalse(Files.exists(ro.resolve("out")));
        } finally {
            umount(ro);
        }
    }

    @Test
    void outputParentIsAFile() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        Cli.Run r = Cli.run(merge(recipeA, file.resolve("out")));
        assertOneLineError(r.code(), r.err(), "cannot create");
        assertEquals("x", Files.readString(file));
    }

    // ---------------------------------------------------------------- inputs changing under the merge

    @Test
    void parentTruncatedWhileMappedIsAClearErrorNotACrash() throws Exception {
        probe("truncate", "was truncated to");
    }

    @Test
    void parentRewrittenInPlaceIsRefusedBeforePublishing() throws Exception {
        probe("rewrite", "was changed while MergeLab was reading it");
    }

    static void probe(String mode, String fragment) throws Exception {
        // A private copy of ft1, since the probe damages it.
        Path victimModel = tmp.resolve("victim-" + mode);
        Files.createDirectories(victimModel);
        try (Stream<Path> s = Files.list(fam.resolve("ft1"))) {
            for (Path f : s.toList()) {
                Files.copy(f, victimModel.resolve(f.getFileName()));
            }
        }
        Path victim;
        try (Stream<Path> s = Files.list(victimModel)) {
            victim = s.filter(f -> f.getFileName().toString().startsWith("model-00001-of-")).findFirst().orElseThrow();
        }
        Path recipe = tmp.resolve("probe-" + mode + ".yml");
        Files.writeString(recipe, ("merge_method: linear\nmodels:\n  - model: " + victimModel + "\n    parameters: {weight: 0.5}\n"
                + "  - model: FAM/ft2\n    parameters: {weight: 0.5}\n").replace("FAM", fam.toString()));
        Path parent = Files.createDirectories(tmp.resolve("probe-out-" + mode));
        Path out = parent.resolve("out");
        Process p = new ProcessBuilder(Cli.javaCommand(TruncationProbe.class.getName(), recipe.toString(), out.toString(),
                victim.toString(), mode)).redirectErrorStream(true).start();
        String output = withoutJvmNotice(new String(p.getInputStream().readAllBytes()));
        int code = p.waitFor();
        assertFalse(output.contains("A fatal error has been detected"), output);
        assertEquals(2, code, output);
        assertTrue(output.startsWith("ERR ") && output.contains(victim.toString()) && output.contains(fragment), output);
        assertFalse(Files.exists(out));
        assertEquals(List.of(), Cli.leftovers(parent));
    }
}
