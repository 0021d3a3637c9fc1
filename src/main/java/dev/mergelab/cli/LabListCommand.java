package dev.mergelab.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.LabJsonViews;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.Run;
import dev.mergelab.lab.registry.ScoreOrder;
import dev.mergelab.lab.registry.StoredScore;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab list [--sort TASK[,METRIC]] [--json]}: every candidate, optionally ranked by a score. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List the lab's candidates (oldest first, or ranked by a score).")
final class LabListCommand implements Callable<Integer> {

    @Option(names = "--sort", paramLabel = "TASK[,METRIC]",
            description = "Rank by this task's metric, best first (lower first for perplexity, bits_per_byte, loss); "
                    + "the metric is all after the first comma (arc_easy,acc,none); default: the task's first metric by name.")
    String sort;

    @Option(names = "--json", description = "Print a JSON array of candidates with their scores.")
    boolean json;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Registry registry = lab.open()) {
            List<Candidate> candidates = new ArrayList<>(registry.candidates());
            List<StoredScore> all = registry.scores();
            Map<String, List<StoredScore>> scores = all.stream().collect(Collectors.groupingBy(StoredScore::candidate));
            ScoreOrder order = sort == null ? null : ScoreOrder.parse(sort, all);
            if (order != null) {
                candidates.sort(order.comparator(scores));
            }
            if (json) {
                ArrayNode a = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
                candidates.forEach(c -> a.add(LabJsonViews.candidate(c, scores.getOrDefault(c.id(), List.of()))));
                out.println(LabJsonViews.pretty(a));
                return 0;
            }
            String scoreHeader = order == null ? "" : String.format("  %12s", clip(order.task() + "," + order.metric(), 12));
            out.printf("%-12s  %-7s  %-8s  %9s  %4s  %-16s%s  %s%n", "ID", "KIND", "DTYPE", "SIZE", "RUNS", "MADE BY", scoreHeader, "PATH");
            for (Candidate c : candidates) {
                List<Run> runs = registry.runs(c.id());
                String madeBy = runs.isEmpty() ? "(parent)" : runs.getLast().command() + (runs.getLast().method() == null
                        || runs.getLast().command().equals("lora apply") || runs.getLast().command().equals("lora extract")
                        ? "" : " " + runs.getLast().method());
                String score = order == null ? "" : String.format("  %12s", order.valueIn(scores.getOrDefault(c.id(), List.of()))
                        .map(v -> String.format("%.4f", v)).orElse("-"));
                out.printf("%-12s  %-7s  %-8s  %9s  %4d  %-16s%s  %s%s%n", c.shortId(), c.kind(), c.dtype() == null ? "-" : c.dtype(),
                        Bytes.human(c.size()), c.runs(), clip(madeBy, 16), score, c.where(), c.present() || c.isVirtual() ? "" : " (missing)");
            }
            return 0;
        }
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
