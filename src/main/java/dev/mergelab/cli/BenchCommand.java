package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.bench.Bench;
import dev.mergelab.bench.BenchRecipes;
import dev.mergelab.bench.BenchTable;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab bench}: end-to-end merge speed and memory against the I/O floor measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchInferCommand.class,
        description = "Benchmark merges on a cached synthetic Llama family: wall and CPU time, GB/s, ratio to the I/O floor "
                + "measured in the same run, peak RSS; on disk with fsync and on /dev/shm. Appends the table to BENCHMARKS.md.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--size", defaultValue = "1b", description = "tiny, 1b, 3b or 7b (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--dtype", defaultValue = "bfloat16", description = "Family dtype (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--methods", split = ",", description = "Methods to run (default: all).")
    List<String> methods;

    @Option(names = "--cache", defaultValue = "bench-cache", description = "Where generated families are kept (default: ${DEFAULT-VALUE}).")
    Path cache;

    @Option(names = "--out", defaultValue = "bench-cache/out", description = "Output folder on the disk to measure (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--shm", defaultValue = "/dev/shm/mergelab-bench", description = "RAM file system folder for the compute-bound runs; 'none' to skip.")
    String shm;

    @Option(names = "--cold", description = "Drop the page cache before each floor and merge (needs root).")
    boolean cold;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--jvm-arg", description = "Extra JVM argument for the merge processes (repeatable), e.g. -Xmx1g.")
    List<String> jvmArgs = new ArrayList<>();

    @Option(names = "--append", defaultValue = "BENCHMARKS.md", description = "File to append the results to; 'none' to skip.")
    String append;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        DType dt = DType.fromUserName(dtype);
        if (dt == null || !dt.isFloating()) {
            throw MergeLabException.input("--dtype '" + dtype + "' is not a floating dtype", "use bfloat16, float16 or float32");
        }
        FamilySpec fam = Sizes.family(size, dt);
        List<String> ms = methods != null ? methods : new ArrayList<>(BenchRecipes.all().keySet());
        int t = threads.count();
        Path shmDir = "none".equals(shm) ? null : Path.of(shm);
        Bench.Config c = new Bench.Config(fam, size, ms, cache, outDir, shmDir, cold, t, jvmArgs);
        long t0 = System.nanoTime();
        List<Bench.Row> rows = Bench.run(c, out);
        String table = BenchTable.markdown(rows);
        out.println();
        out.print(table);
        if (!"none".equals(append)) {
            String cmd = "./mergelab " + String.join(" ", spec.commandLine().getParseResult().originalArgs()); // originalArgs starts with "bench"
            String section = String.format("%n### End to end, %s family (%,d parameters per model, %s), %s%n%n"
                    + "Command: `%s`  %nMachine: %d cores, %.0f GiB RAM, Java %s; %s; output fsynced; total bench time %.0f s.%n%n%s",
                    size, fam.parameterCount(), dt.torchName(), LocalDate.now(), cmd.strip(), Runtime.getRuntime().availableProcessors(),
                    totalRamGiB(), Runtime.version(), cold ? "page cache dropped before each run" : "inputs warm in the page cache",
                    (System.nanoTime() - t0) / 1e9, table);
            Files.writeString(Path.of(append), section, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            out.println("appended to " + append);
        }
        return rows.stream().anyMatch(r -> r.error() != null) ? 1 : 0;
    }

    private static double totalRamGiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(Arrays.stream(line.split("\\s+")).skip(1).findFirst().orElse("0")) / 1048576.0;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
