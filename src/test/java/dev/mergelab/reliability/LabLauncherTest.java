package dev.mergelab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.lab.registry.Registry;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab through the real launcher: found from the working directory and from MERGELAB_LAB, two merges finishing
 * together are both recorded, and the database driver prints nothing (no logging framework notice, no native-access
 * warning) around MergeLab's own lines.
 */
class LabLauncherTest {

    @TempDir
    static Path tmp;
    static Path fam;

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16), fam, 2);
    }

    record Launched(Process process, Path out, Path err) {
        LauncherTest.Run await() throws Exception {
            assertTrue(process.waitFor(180, TimeUnit.SECONDS), "launcher timed out");
            return new LauncherTest.Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        }
    }

    static Launched start(Path dir, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("mergelab").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("MERGELAB_CLASSPATH", Cli.classPath());
        pb.environment().put("MERGELAB_HEAP", "256m");
        pb.environment().remove("MERGELAB_LAB");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "launch", ".out");
        Path err = Files.createTempFile(tmp, "launch", ".err");
        return new Launched(pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err);
    }

    static Path recipe(String name, double w) throws Exception {
        Path p = tmp.resolve(name + ".yml");
        Files.writeString(p, "merge_method: linear\nmodels:\n  - model: " + fam.resolve("ft1") + "\n    parameters: {weight: " + w + "}\n"
                + "  - model: " + fam.resolve("ft2") + "\n    parameters: {weight: " + (1 - w) + "}\n");
        return p;
    }

    @Test
    void foundFromTheWorkingDirectoryWithNothingButOurLinesOnTheTerminal() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        LauncherTest.Run init = start(project, Map.of(), "lab", "init").await();
        assertEquals(0, init.code(), init.err());
        assertEquals("", init.err());
        assertEquals("created lab at " + project.resolve(".mergelab") + " (schema version 2)\n", init.out());
        Path sub = Files.createDirectories(project.resolve("runs/today"));
        LauncherTest.Run merge = start(sub, Map.of(), "merge", recipe("cwd", 0.3).toString(), "out", "--quiet").await();
        assertEquals(0, merge.code(), merge.err());
        assertEquals("", merge.err());
        List<String> lines = merge.out().lines().toList();
        assertEquals(2, lines.size(), merge.out());
        assertTrue(lines.get(0).startsWith("merged 39 tensors with linear into " + sub.resolve("out")), merge.out());
        assertTrue(lines.get(1).matches("lab: recorded new candidate [0-9a-f]{12} \\(run 1\\)"), merge.out());
        LauncherTest.Run list = start(sub, Map.of(), "lab", "list").await();
        assertEquals(0, list.code(), list.err());
        assertEquals("", list.err());
        assertTrue(list.out().contains(sub.resolve("out").toString()), list.out());
    }

    @Test
    void twoMergesAtOnceAreBothRecorded() throws Exception {
        Path lab = tmp.resolve("shared-lab");
        Registry.init(lab).close();
        Map<String, String> env = Map.of("MERGELAB_LAB", lab.toString());
        List<Launched> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            runs.add(start(tmp, env, "merge", recipe("c" + i, 0.2 + 0.5 * i).toString(), "concurrent" + i, "--quiet"));
        }
        for (Launched l : runs) {
            LauncherTest.Run r = l.await();
            assertEquals(0, r.code(), r.err());
            assertEquals("", r.err());
            assertTrue(r.out().contains("lab: recorded new candidate"), r.out());
        }
        try (Registry reg = Registry.open(lab, Registry.COMMAND_BUSY_MILLIS)) {
            assertEquals(2, reg.runs().size());
            assertEquals(4, reg.candidates().size()); // ft1, ft2 and the two merges
        }
    }

    /** Lays {@code model}'s files out as the Hugging Face cache does: blobs named by their SHA-256, snapshot links, refs/main. */
    static Path toHubCache(Path model, Path cache, String repoId) throws Exception {
        Path repo = cache.resolve("models--" + repoId.replace("/", "--"));
        String commit = "c".repeat(40);
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Files.createDirectories(repo.resolve("blobs"));
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) {
                Path blob = repo.resolve("blobs").resolve(dev.mergelab.engine.FileHashes.sha256(f));
                Files.copy(f, blob);
                Files.createSymbolicLink(snap.resolve(f.getFileName()), snap.relativize(blob));
            }
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit);
        return snap;
    }

    @Test
    void aParentFromTheHubCacheHasTheContentIdOfTheSameFilesInAFolder() throws Exception {
        Path cache = tmp.resolve("hub");
        Path snap = toHubCache(fam.resolve("ft3"), cache, "org/ft3");
        Path lab = tmp.resolve("hub-lab");
        Registry.init(lab).close();
        Path recipe = tmp.resolve("hub.yml");
        Files.writeString(recipe, "merge_method: linear\nmodels:\n  - model: org/ft3\n    parameters: {weight: 0.5}\n"
                + "  - model: " + fam.resolve("ft1") + "\n    parameters: {weight: 0.5}\n");
        LauncherTest.Run r = start(tmp, Map.of("MERGELAB_LAB", lab.toString(), "HF_HUB_CACHE", cache.toString()), "merge", recipe.toString(),
                "from-hub", "--quiet").await();
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        try (Registry reg = Registry.open(lab, Registry.COMMAND_BUSY_MILLIS)) {
            var child = reg.resolve(tmp.resolve("from-hub").toString());
            var parents = reg.parentsOf(child.id());
            assertEquals(2, parents.size());
            var hubParent = reg.candidate(parents.get(0).parent()).orElseThrow();
            assertEquals(snap.toAbsolutePath().normalize(), hubParent.path());
            // the same bytes are the same model, wherever they live
            assertEquals(dev.mergelab.lab.registry.ModelIdentity.of(fam.resolve("ft3")).id(), hubParent.id());
        }
    }
}
