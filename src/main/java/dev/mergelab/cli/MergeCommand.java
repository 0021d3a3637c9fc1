package dev.mergelab.cli;

import dev.mergelab.engine.MergePlan;
import dev.mergelab.engine.MergeRun;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.engine.TensorJob;
import dev.mergelab.recipe.Recipe;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab merge RECIPE.yml OUT_DIR}: the main job. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge the models of a mergekit-style YAML recipe into a Hugging Face model folder.",
                "With OUT ending in .gguf and --type, merge straight into one GGUF file (tensor by tensor, no full-precision copy on disk)."})
final class MergeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE", description = "The recipe (mergekit YAML).")
    Path recipePath;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Output folder, or OUT.gguf with --type (must not exist unless --force).", arity = "0..1")
    Path outDir;

    @Option(names = "--type", paramLabel = "TYPE", description = "GGUF type of an OUT.gguf: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, "
            + "q5_1, q4_k_m, q4_k_s, q5_k_m or q6_k (as `export gguf` writes it).")
    String ggufType;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix for a quantized OUT.gguf (llama-imatrix's GGUF or "
            + ".dat), used as llama-quantize --imatrix uses it.")
    String imatrix;

    @Option(names = "--dry-run", description = "Print the plan (every output tensor, its inputs, method and parameters) and the output size; write nothing.")
    boolean dryRun;

    @Option(names = "--force", description = "Replace OUT_DIR if it exists (only once the new merge is complete).")
    boolean force;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--memory", description = "Heap budget for tensors being merged (default: half the Java heap, which MERGELAB_HEAP sets).")
    String memory;

    @Option(names = "--out-shard-size", defaultValue = "5GB", description = "Largest output shard (default: ${DEFAULT-VALUE}).")
    String shardSize;

    @Option(names = "--random-seed", defaultValue = "0", description = "Seed of random methods (dare, della, ...); default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--fsync", description = "fsync output files before renaming the folder into place (they are written back to disk in the background while merging, so little is left to wait for).")
    boolean fsync;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Option(names = "--chunk-above", hidden = true, defaultValue = "64MiB",
            description = "Jobs whose float32 working set exceeds this run in row chunks when the method allows (default ${DEFAULT-VALUE}).")
    String chunkAbove;

    @Option(names = "--chunk-elements", hidden = true, defaultValue = "32768", description = "Elements per input per chunk.")
    int chunkElements;

    @Option(names = "--report-json", hidden = true, description = "Write wall time, CPU time and peak RSS of this run as JSON (used by bench).")
    Path reportJson;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (outDir == null && !dryRun) {
            throw dev.mergelab.MergeLabException.input("missing OUT_DIR", "give an output folder, or --dry-run to only print the plan");
        }
        // Options are checked before planning so a --dry-run refuses what the merge would refuse.
        boolean gguf = MergeToGguf.isGguf(outDir);
        if (ggufType != null && !gguf) {
            throw dev.mergelab.MergeLabException.input("--type is for a GGUF output", "name an OUT ending in .gguf, or leave --type out");
        }
        if (gguf && ggufType == null) {
            throw dev.mergelab.MergeLabException.input(outDir + " is a GGUF file: --type is required", "f32, f16, bf16, q8_0, q4_0, q4_1, "
                    + "q5_0, q5_1, q4_k_m, q4_k_s, q5_k_m or q6_k");
        }
        dev.mergelab.export.ExportType type = gguf ? dev.mergelab.export.ExportType.parse(ggufType) : null;
        if (gguf && fsync) {
            throw dev.mergelab.MergeLabException.input("--fsync is for a folder output", "a GGUF file is always flushed to disk before it is renamed into place");
        }
        if (imatrix != null && !gguf) {
            throw dev.mergelab.MergeLabException.input("--imatrix is for a GGUF output", "name an OUT ending in .gguf with a quantized --type");
        }
        if (gguf) {
            MergeToGguf.checkOutput(outDir, force);
        }
        if (gguf) {
            dev.mergelab.export.GgufImatrix.checkType(imatrix != null, type);
        }
        dev.mergelab.export.GgufImatrix importance = imatrix == null ? null : dev.mergelab.export.GgufImatrix.read(imatrix);
        int t = threads.count();
        MergeRun.Options options = new MergeRun.Options(t, Sizes.heapBudget(memory), Sizes.parseBytes(shardSize, "--out-shard-size"),
                seed, force, fsync, Sizes.parseBytes(chunkAbove, "--chunk-above"), chunkElements);
        Recipe recipe = Recipe.parse(recipePath);
        ConsoleProgress progress = new ConsoleProgress(err, quiet);
        try (MergeSession session = MergeSession.open(recipe, Models.opener(progress::warning), progress::warning)) {
            MergePlan plan = session.plan();
            if (dryRun) {
                if (outDir != null && java.nio.file.Files.exists(outDir) && !force) {
                    // the one check of the merge that is not about the recipe (OutputFolder.prepare's)
                    throw dev.mergelab.MergeLabException.input(outDir + " already exists", "choose another OUT_DIR or pass --force to replace it");
                }
                for (TensorJob j : plan.jobs()) {
                    out.println(j.describe());
                }
                out.printf("plan: %s, %d tensors, %,d parameters, %s to write (%s read), %d layers%n", plan.method(),
                        plan.jobs().size(), plan.outputParameters(), Bytes.human(plan.outputBytes()), Bytes.human(plan.inputBytes()),
                        plan.numLayers());
                if (plan.chatTemplate() != null) {
                    out.println(plan.chatTemplate().describe());
                }
                return 0;
            }
            if (gguf) {
                long start = System.nanoTime();
                dev.mergelab.export.GgufExport.Result g = MergeToGguf.write(recipe, plan, session, outDir, type, importance, options,
                        progress::warning);
                double s = (System.nanoTime() - start) / 1e9;
                out.printf(java.util.Locale.ROOT, "merged %d tensors with %s into %s: %s %s, %d tensors %s, %.1f MB in %.1f s%n",
                        plan.jobs().size(), plan.method(), outDir, g.architecture(), type.name().toLowerCase(java.util.Locale.ROOT),
                        g.tensors(), g.typeCounts(), g.bytes() / 1e6, s);
                lab.record(out, err, () -> dev.mergelab.lab.registry.Provenance.merge(recipe, plan, outDir, s, seed));
                if (reportJson != null) {
                    dev.mergelab.bench.RunReport.write(reportJson, s, plan.inputBytes(), g.bytes());
                }
                return 0;
            }
            MergeRun.Result r = MergeRun.execute(recipe, plan, outDir, options, progress);
            out.printf("merged %d tensors with %s into %s: %s in %.1f s (%.2f GB/s read+write)%n", plan.jobs().size(), plan.method(),
                    r.outDir(), Bytes.human(r.outputBytes()), r.seconds(), (plan.inputBytes() + plan.outputBytes()) / r.seconds() / 1e9);
            lab.record(out, err, () -> dev.mergelab.lab.registry.Provenance.merge(recipe, plan, r.outDir(), r.seconds(), seed));
            if (reportJson != null) {
                dev.mergelab.bench.RunReport.write(reportJson, r.seconds(), plan.inputBytes(), plan.outputBytes());
            }
            return 0;
        }
    }
}
