package dev.mergelab.cli;

import dev.mergelab.engine.OpenModels;
import dev.mergelab.lab.Compat;
import dev.mergelab.lab.CompatReport;
import dev.mergelab.lab.TaskVectorStats;
import dev.mergelab.model.ModelSource;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab compat MODEL... [--base BASE]}: can these models be merged, and how? Exit 3 for distill. */
@Command(name = "compat", mixinStandardHelpOptions = true,
        description = "Check whether models can be merged (architecture, tensor schema, dtypes, tokenizer, config; "
                + "with --base, task-vector statistics per layer). Verdict merge/align exits 0, distill exits 3.")
final class CompatCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", arity = "1..*", description = "Models to compare.")
    List<String> models;

    @Option(names = "--base", description = "Their common base model: enables task-vector statistics.")
    String base;

    @Option(names = "--json", description = "Print JSON with verdict, reasons and per-layer statistics.")
    boolean json;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (OpenModels opened = new OpenModels()) {
            for (String m : models) {
                opened.add(Models.opener().open(m));
            }
            ModelSource b = null;
            if (base != null) {
                b = Models.opener().open(base);
                opened.add(b);
            }
            if (base == null && models.size() < 2) {
                throw dev.mergelab.MergeLabException.input("compat needs two models, or one model and --base", null);
            }
            CompatReport r = Compat.check(opened.list().subList(0, models.size()), b,
                    threads.count());
            if (json) {
                out.println(r.toJson());
            } else {
                out.println("verdict: " + r.verdict());
                for (String reason : r.reasons()) {
                    out.println("  - " + reason);
                }
                if (!r.layers().isEmpty()) {
                    out.printf("  %-6s %s%n", "layer", "relative task-vector norm per model | pairwise cosine | sign conflicts");
                    for (Map.Entry<Integer, TaskVectorStats> e : r.layers().entrySet()) {
                        out.printf("  %-6s %s%n", e.getKey() < 0 ? "other" : e.getKey(), layerLine(e.getValue()));
                    }
                }
            }
            return r.mergeable() ? 0 : 3;
        }
    }

    private static String layerLine(TaskVectorStats s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.models; i++) {
            sb.append(String.format("%.4f ", s.relativeDelta(i)));
        }
        sb.append("|");
        for (int i = 0; i < s.models; i++) {
            for (int j = i + 1; j < s.models; j++) {
                sb.append(String.format(" %.3f", s.cosine(i, j)));
            }
        }
        sb.append(" |");
        for (int i = 0; i < s.models; i++) {
            for (int j = i + 1; j < s.models; j++) {
                sb.append(String.format(" %.1f%%", 100 * s.signConflictRate(i, j)));
            }
        }
        return sb.toString();
    }
}
