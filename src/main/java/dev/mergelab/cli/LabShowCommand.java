package dev.mergelab.cli;

import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.ContentId;
import dev.mergelab.lab.registry.Edge;
import dev.mergelab.lab.registry.LabJsonViews;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.Run;
import dev.mergelab.lab.registry.StoredScore;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab show ID}: one candidate: what it is, where from, how it was made, how it scored. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Show a candidate: content id, path, size, dtype, architecture, parents and children, every run "
                + "(command, method, parameters, tool version, host, time) with the latest recipe, and its scores.")
final class LabShowCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "Candidate id (a unique prefix will do) or model folder.")
    String id;

    @Option(names = "--json", description = "Print it as JSON.")
    boolean json;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Registry registry = lab.open()) {
            Candidate c = registry.resolve(id);
            if (json) {
                out.println(LabJsonViews.pretty(LabJsonViews.show(registry, c)));
                return 0;
            }
            out.println("candidate    " + c.shortId() + "  (" + c.id() + ")");
            out.println("path         " + c.where() + (c.present() || c.isVirtual() ? "" : "  (missing)"));
            out.printf("kind         %s, %s, %s, %s%n", c.kind(), c.architecture() == null ? "architecture unknown" : c.architecture(),
                    c.dtype() == null ? "dtype unknown" : c.dtype(), Bytes.human(c.size()));
            out.println("first seen   " + c.firstSeen() + ", last seen " + c.lastSeen());
            List<Edge> parents = registry.parentsOf(c.id());
            out.println(parents.isEmpty() ? "parents      none (a root: met as a parent, not made here)" : "parents");
            for (Edge e : parents) {
                out.println("  " + edgeLine(registry, e.parent(), e));
            }
            List<Edge> children = registry.childrenOf(c.id());
            if (!children.isEmpty()) {
                out.println("children");
                for (Edge e : children) {
                    out.println("  " + edgeLine(registry, e.child(), e));
                }
            }
            List<Run> runs = registry.runs(c.id());
            if (!runs.isEmpty()) {
                out.println("runs");
                for (Run r : runs) {
                    out.printf("  #%d %s%s, %.1f s, %s on %s, MergeLab %s -> %s%n", r.number(), r.command(),
                            r.method() == null ? "" : " (" + r.method() + ")", r.seconds(), r.started(), r.host(), r.toolVersion(), r.outPath());
                    if (r.parameters() != null && !r.parameters().isEmpty()) {
                        out.println("     parameters " + LabText.parameters(r.parameters()));
                    }
                }
                Run last = runs.getLast();
                if (last.recipe() != null) {
                    out.println("recipe (run #" + last.number() + (last.recipeSha256() == null ? "" : ", sha256 " + last.recipeSha256()) + ")");
                    last.recipe().lines().forEach(l -> out.println("  " + l));
                }
            }
            List<StoredScore> scores = registry.scores(c.id());
            out.println(scores.isEmpty() ? "scores       none" : "scores");
            for (StoredScore s : scores) {
                out.printf("  %-24s %-20s %.6g%s%s%s%n", s.score().task(), s.score().metric(), s.score().value(),
                        s.score().stderr() == null ? "" : String.format(" ± %.4g", s.score().stderr()),
                        s.score().limit() == null ? "" : " (limit " + s.score().limit() + ")",
                        s.score().evaluator() == null ? "" : " by " + s.score().evaluator());
            }
            return 0;
        }
    }

    private static String edgeLine(Registry registry, String other, Edge e) {
        String path = registry.candidate(other).map(Candidate::where).orElse("?");
        return ContentId.shortId(other) + "  " + LabText.edge(e) + "  " + path;
    }
}
