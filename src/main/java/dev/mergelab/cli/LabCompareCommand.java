package dev.mergelab.cli;

import dev.mergelab.lab.TaskVectorStats;
import dev.mergelab.lab.registry.Comparison;
import dev.mergelab.lab.registry.Registry;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab compare A B}: scores side by side and task-vector statistics against the common base. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two candidates: their scores side by side, and per layer the task vectors of both against their "
                + "common base (the nearest shared ancestor that was a merge base, else a shared root): norms, norms relative to "
                + "the base, cosine and the share of sign conflicts among elements both changed.")
final class LabCompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A", description = "Candidate id (a unique prefix will do) or model folder.")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "Candidate id (a unique prefix will do) or model folder.")
    String b;

    @Option(names = "--base", paramLabel = "ID", description = "The base to take task vectors against (default: found in the lineage).")
    String base;

    @Option(names = "--json", description = "Print scores and statistics as JSON.")
    boolean json;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Registry registry = lab.open()) {
            Comparison c = Comparison.of(registry, registry.resolve(a), registry.resolve(b), base == null ? null : registry.resolve(base),
                    threads.count());
            if (json) {
                out.println(c.json());
                return 0;
            }
            out.println("A     " + c.a().shortId() + "  " + c.a().path());
            out.println("B     " + c.b().shortId() + "  " + c.b().path());
            out.println("base  " + c.base().shortId() + "  " + c.base().path());
            if (c.scores().isEmpty()) {
                out.println("scores: none recorded for either");
            } else {
                out.printf("%-24s %-20s %16s %16s%n", "task", "metric", "A", "B");
                for (Comparison.ScoreRow r : c.scores()) {
                    out.printf("%-24s %-20s %16s %16s%n", r.task(), r.metric(), value(r.a(), r.aStderr()), value(r.b(), r.bStderr()));
                }
            }
            if (c.stats().total() == null) {
                out.println("task vectors: not comparable (" + c.stats().verdict() + ")");
                c.stats().reasons().forEach(r -> out.println("  - " + r));
                return 0;
            }
            out.printf("%-6s %12s %12s %10s %10s %8s %9s%n", "layer", "|dA|", "|dB|", "|dA|/|W|", "|dB|/|W|", "cosine", "conflicts");
            for (Map.Entry<Integer, TaskVectorStats> e : c.stats().layers().entrySet()) {
                out.println(row(e.getKey() < 0 ? "other" : String.valueOf(e.getKey()), e.getValue()));
            }
            out.println(row("all", c.stats().total()));
            return 0;
        }
    }

    private static String row(String label, TaskVectorStats s) {
        return String.format("%-6s %12.5g %12.5g %10.4f %10.4f %8.4f %8.2f%%", label, s.deltaNorm(0), s.deltaNorm(1), s.relativeDelta(0),
                s.relativeDelta(1), s.cosine(0, 1), 100 * s.signConflictRate(0, 1));
    }

    private static String value(Double v, Double se) {
        return v == null ? "-" : se == null ? String.format("%.4f", v) : String.format("%.4f±%.4f", v, se);
    }
}
