package dev.mergelab.bench;

import dev.mergelab.MergeLabException;
import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The end-to-end benchmark: a cached synthetic family, then for each method the I/O floor and the real
 * merge (a separate JVM per run, so peak RSS is that run's alone), on the output disk with fsync and
 * again on a RAM file system to show the compute-bound cost.
 */
public final class Bench {

    /** Methods whose target is 1.3× the I/O floor; every other method's target is 2×. */
    public static final Set<String> LIGHT = Set.of("linear", "task_arithmetic", "slerp", "nuslerp", "multislerp", "karcher",
            "model_stock", "nearswap", "passthrough");

    /** What to run. */
    public record Config(FamilySpec family, String sizeName, List<String> methods, Path cache, Path out, Path shm, boolean cold,
            int threads, List<String> extraJvmArgs) {
    }

    /** One measured method: on disk (fsync) and, if asked, on the RAM file system. */
    public record Row(String method, IoFloor.Result floor, RunReport disk, IoFloor.Result shmFloor, RunReport shm, String error) {
        public double target() {
            return LIGHT.contains(method) ? 1.3 : 2.0;
        }

        public double ratio() {
            return disk == null ? Double.NaN : disk.wallSeconds() / floor.seconds();
        }

        public double shmRatio() {
            return shm == null ? Double.NaN : shm.wallSeconds() / shmFloor.seconds();
        }
    }

    private Bench() {
    }

    /** Generates the family unless the cache already holds a complete one. */
    public static Path family(Config c, PrintWriter log) throws IOException {
        Path dir = c.cache().resolve(c.sizeName() + "-" + c.family().dtype().torchName());
        Path done = dir.resolve(".complete");
        if (Files.exists(done)) {
            return dir;
        }
        if (Files.exists(dir)) {
            // Only a generation this command started (base/, ft1/, ...) is removed; anything else there is the user's.
            try (Stream<Path> s = Files.list(dir)) {
                if (!s.allMatch(p -> p.getFileName().toString().matches("base|ft[0-9]+"))) {
                    throw MergeLabException.input(dir + " exists, is not a complete benchmark family and holds other files",
                            "choose another --cache folder or remove " + dir + " yourself");
                }
            }
            deleteTree(dir);
        }
        log.printf("generating the %s family (%,d parameters per model, base + %d fine-tunes) in %s ...%n", c.sizeName(),
                c.family().parameterCount(), c.family().fineTunes(), dir);
        log.flush();
        long t0 = System.nanoTime();
        FamilyGenerator.generate(c.family(), dir, c.threads());
        Files.writeString(done, "ok\n");
        log.printf("generated in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return dir;
    }

    public static List<Row> run(Config c, PrintWriter log) throws IOException, InterruptedException {
        Path fam = family(c, log);
        Map<String, String> recipes = BenchRecipes.all();
        List<Row> rows = new ArrayList<>();
        Files.createDirectories(c.out());
        for (String m : c.methods()) {
            String text = recipes.get(m);
            if (text == null) {
                throw MergeLabException.input("bench has no recipe for method '" + m + "'", "choose from " + String.join(", ", recipes.keySet()));
            }
            Path recipe = c.out().resolve(m + ".yml");
            Files.writeString(recipe, BenchRecipes.render(m, text, fam.toString()));
            List<Path> inputs = inputFiles(fam, text);
            long outBytes = sizeOf(List.of(fam.resolve("base")));
            log.printf("%-22s floor ...", m);
            log.flush();
            dropCaches(c.cold());
            IoFloor.Result floor = IoFloor.measure(inputs, c.out(), outBytes, true);
            log.printf(" %.1fs, merge ...", floor.seconds());
            log.flush();
            dropCaches(c.cold());
            RunReport disk;
            String error = null;
            try {
                disk = child(c, recipe, c.out().resolve("merged-" + m), true);
            } catch (IllegalStateException e) {
                disk = null;
                error = e.getMessage();
            }
            IoFloor.Result shmFloor = null;
            RunReport shm = null;
            if (c.shm() != null && error == null) {
                shmFloor = IoFloor.measure(inputs, c.shm(), outBytes, false);
                try {
                    shm = child(c, recipe, c.shm().resolve("merged-" + m), false);
                } finally {
                    deleteMerged(c.shm().resolve("merged-" + m));
                }
            }
            deleteMerged(c.out().resolve("merged-" + m));
            Row row = new Row(m, floor, disk, shmFloor, shm, error);
            rows.add(row);
            log.println(error != null ? " FAILED: " + error
                    : String.format(" %.1fs (%.2fx floor, target %.1fx), peak RSS %d MB", disk.wallSeconds(), row.ratio(), row.target(),
                            disk.peakRssBytes() >> 20));
            log.flush();
        }
        return rows;
    }

    /** The weight files of the models a recipe names. */
    static List<Path> inputFiles(Path fam, String recipeText) throws IOException {
        List<Path> models = new ArrayList<>();
        for (String[] p : new String[][] {{"BASE", "base"}, {"FT1", "ft1"}, {"FT2", "ft2"}, {"FT3", "ft3"}}) {
            if (recipeText.contains(p[0])) {
                models.add(fam.resolve(p[1]));
            }
        }
        List<Path> files = new ArrayList<>();
        for (Path m : models) {
            try (Stream<Path> s = Files.list(m)) {
                s.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().forEach(files::add);
            }
        }
        return files;
    }

    private static long sizeOf(List<Path> models) throws IOException {
        long total = 0;
        for (Path m : models) {
            try (Stream<Path> s = Files.list(m)) {
                for (Path f : s.filter(f -> f.getFileName().toString().endsWith(".safetensors")).toList()) {
                    total += Files.size(f);
                }
            }
        }
        return total;
    }

    /** Runs one merge in a fresh JVM with the same JVM options as this one and returns its self-report. */
    private static RunReport child(Config c, Path recipe, Path out, boolean fsync) throws IOException, InterruptedException {
        Path report = Files.createTempFile("mergelab-bench", ".json");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
                cmd.add(a);
            }
        }
        cmd.addAll(c.extraJvmArgs());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.mergelab.cli.Main");
        cmd.addAll(List.of("merge", recipe.toString(), out.toString(), "--quiet", "--force", "--threads", Integer.toString(c.threads()),
                "--report-json", report.toString()));
        if (fsync) {
            cmd.add("--fsync");
        }
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        int code = p.waitFor();
        double wall = (System.nanoTime() - t0) / 1e9; // the whole process: JVM start, planning, merge, finalisation
        try {
            if (code != 0) {
                String[] lines = output.strip().split("\n");
                throw new IllegalStateException("exit " + code + ": " + lines[lines.length - 1]);
            }
            RunReport r = RunReport.read(report);
            return new RunReport(wall, r.cpuSeconds(), r.inputBytes(), r.outputBytes(), r.peakRssBytes());
        } finally {
            Files.deleteIfExists(report);
        }
    }

    /** Empties the page cache before a cold measurement (needs root); reports nothing if not permitted. */
    private static void dropCaches(boolean cold) {
        if (!cold) {
            return;
        }
        try {
            new ProcessBuilder("sync").start().waitFor();
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3\n");
        } catch (IOException | InterruptedException e) {
            throw MergeLabException.input("--cold needs permission to write /proc/sys/vm/drop_caches", "run as root or without --cold");
        }
    }

    /** Removes a merge output, but only one MergeLab wrote: a failed merge may have refused a folder of the user's. */
    private static void deleteMerged(Path dir) throws IOException {
        if (ModelFolderCheck.hasManifest(dir)) {
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> w = Files.walk(dir)) {
            for (Path p : w.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
