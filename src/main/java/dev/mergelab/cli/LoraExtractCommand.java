package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.Version;
import dev.mergelab.engine.ModelCard;
import dev.mergelab.engine.OutputFolder;
import dev.mergelab.engine.OutputGuard;
import dev.mergelab.lora.AdapterWriter;
import dev.mergelab.lora.ExtractReport;
import dev.mergelab.lora.LoraExtract;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import dev.mergelab.model.ModelSource;
import dev.mergelab.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lora extract --base BASE --model FINETUNE --rank R OUT_DIR}: mergekit-extract-lora on the JVM. */
@Command(name = "extract", mixinStandardHelpOptions = true,
        description = {"Extract a PEFT LoRA adapter from a fine-tune: a truncated SVD (randomised, Halko-Martinsson-Tropp) of "
                + "each weight matrix's change from the base, A = sqrt(S)·Vt and B = U·sqrt(S). Ranks that differ go to rank_pattern "
                + "and alpha_pattern (alpha = rank, so every scale is 1). Embeddings and lm_head are saved whole (modules_to_save) "
                + "unless --embed-lora; changed norms are saved whole unless --skip-undecomposable.",
                "Prints the relative reconstruction error ||dW - B·A|| / ||dW|| per module and writes it to extraction_report.json."})
final class LoraExtractCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, paramLabel = "BASE", description = "Base model.")
    String base;

    @Option(names = "--model", required = true, paramLabel = "FINETUNE", description = "Fine-tuned model.")
    String model;

    @Parameters(index = "0", paramLabel = "OUT_DIR", description = "Adapter folder to write.")
    Path outDir;

    @Option(names = {"--rank", "--max-rank"}, defaultValue = "128", description = "Maximum rank per module (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--sv-epsilon", defaultValue = "0", description = "Drop singular values <= this (default: ${DEFAULT-VALUE}).")
    double svEpsilon;

    @Option(names = {"-i", "--include-regex"}, description = "Only decompose modules matching this regex (repeatable; searched anywhere in the name).")
    List<String> include = new ArrayList<>();

    @Option(names = {"-e", "--exclude-regex"}, description = "Leave out modules matching this regex (repeatable).")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--embed-lora", description = "Extract LoRA for embeddings and lm_head too (default: save them whole).")
    boolean embedLora;

    @Option(names = "--save-module", description = "Save this module whole (name or last part, e.g. lm_head; repeatable).")
    List<String> saveModules = new ArrayList<>();

    @Option(names = "--skip-undecomposable", description = "Do not save changed non-matrix weights (norms).")
    boolean skipUndecomposable;

    @Option(names = "--no-distribute-scale", description = "Put S on A only (A = S·Vt, B = U) instead of sqrt(S) on both.")
    boolean noDistributeScale;

    @Option(names = "--oversample", defaultValue = "10", description = "Randomised SVD oversampling (default: ${DEFAULT-VALUE}).")
    int oversample;

    @Option(names = "--power-iters", defaultValue = "2", description = "Randomised SVD power iterations (default: ${DEFAULT-VALUE}).")
    int powerIters;

    @Option(names = "--dtype", description = "dtype of A and B: bfloat16, float16 or float32 (default: the fine-tune's).")
    String dtype;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--memory", description = "Heap budget for modules in flight (default: half the Java heap, which MERGELAB_HEAP sets).")
    String memory;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random sketches (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Replace OUT_DIR if it exists.")
    boolean force;

    @Option(names = "--quiet", description = "No table on stdout.")
    boolean quiet;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (rank < 1 || oversample < 0 || powerIters < 0 || svEpsilon < 0 || !Double.isFinite(svEpsilon)) {
            throw MergeLabException.input("--rank must be >= 1, --oversample, --power-iters and --sv-epsilon >= 0", null);
        }
        DType dt = dtype == null ? null : DType.fromUserName(dtype);
        if (dtype != null && (dt == null || !dt.isFloating())) {
            throw MergeLabException.input("--dtype '" + dtype + "' is not a floating dtype", "use bfloat16, float16 or float32");
        }
        int t = threads.count();
        LoraExtract.Options o = new LoraExtract.Options(rank, svEpsilon, patterns(include, "--include-regex"),
                patterns(exclude, "--exclude-regex"), embedLora, saveModules, skipUndecomposable, !noDistributeScale, oversample,
                powerIters, t, Sizes.heapBudget(memory), dt, seed);
        ModelResolver resolver = ModelResolver.offline();
        long t0 = System.nanoTime();
        try (ModelSource b = ModelSource.open(resolver.resolve(ModelRef.parse(base)).base(), base);
             ModelSource f = ModelSource.open(resolver.resolve(ModelRef.parse(model)).base(), model)) {
            List<Path> inputs = OutputGuard.pathsOf(List.of(b, f));
            OutputFolder.check(outDir, force, inputs);
            LoraExtract.Result r = LoraExtract.run(b, f, base, o, Warnings.printOnce(err));
            String command = commandLine(spec.commandLine().getParseResult().originalArgs());
            Map<String, String> extra = new LinkedHashMap<>();
            extra.put(ExtractReport.FILE_NAME, ExtractReport.json(r.modules(), command, r.dtype()));
            extra.put("README.md", ModelCard.adapter(outDir.toAbsolutePath().normalize().getFileName().toString(), base,
                    "Extracted from a fine-tune by a truncated SVD of each weight matrix's change (rank at most " + rank
                            + ", factors in " + r.dtype().torchName() + "); the rank and relative error of every module, as written, are in `"
                            + ExtractReport.FILE_NAME + "`.", List.of(model + " (fine-tune)"), "sh", command, Version.VERSION));
            Path written = AdapterWriter.write(outDir, force, inputs, r.tensors(), r.config(), extra);
            if (!quiet) {
                out.print(ExtractReport.table(r.modules()));
            }
            double worst = r.modules().stream().filter(m -> m.rank() >= 0).mapToDouble(LoraExtract.ModuleReport::relativeError).max().orElse(0);
            out.printf("extracted %d LoRA modules (r=%d) from %s into %s in %.1f s; max relative error %.3e%n",
                    r.modules().stream().filter(m -> m.rank() >= 0).count(), r.config().get("r").asInt(), model, written,
                    (System.nanoTime() - t0) / 1e9, worst);
            lab.record(out, err, () -> dev.mergelab.lab.registry.Provenance.loraExtract(b.root(), f.root(), written, command, o,
                    (System.nanoTime() - t0) / 1e9));
        }
        return 0;
    }

    /**
     * The command as typed, quoted for a POSIX shell where needed. picocli's original arguments are the whole
     * command line, subcommands included, so only the program name is added.
     */
    static String commandLine(List<String> args) {
        StringBuilder sb = new StringBuilder("mergelab");
        for (String a : args) {
            sb.append(' ').append(a.matches("[A-Za-z0-9_./=:@%+,-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    private static List<Pattern> patterns(List<String> regexes, String option) {
        List<Pattern> out = new ArrayList<>();
        for (String r : regexes) {
            try {
                out.add(Pattern.compile(r));
            } catch (PatternSyntaxException e) {
                throw MergeLabException.input(option + " '" + r + "' is not a valid regex", "fix the pattern");
            }
        }
        return out;
    }
}
