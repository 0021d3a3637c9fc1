package dev.mergelab.lab.registry;

import dev.mergelab.MergeLabException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * How {@code lab list --sort TASK[,METRIC]} orders candidates: by that task's metric, best first (highest, except
 * for metrics where lower is better: perplexities, bits per byte, losses), candidates without the score last. The
 * metric is everything after the first comma, so lm-eval's {@code arc_easy,acc,none} works; without one, the task's
 * metric that sorts first by name is used.
 */
public record ScoreOrder(String task, String metric) {

    private static final List<String> LOWER_IS_BETTER = List.of("perplexity", "bits_per_byte", "loss", "bpb");

    public static ScoreOrder parse(String spec, List<StoredScore> scores) {
        int comma = spec.indexOf(',');
        String task = comma < 0 ? spec : spec.substring(0, comma);
        if (comma >= 0) {
            return new ScoreOrder(task, spec.substring(comma + 1));
        }
        Set<String> metrics = new TreeSet<>();
        for (StoredScore s : scores) {
            if (s.score().task().equals(task)) {
                metrics.add(s.score().metric());
            }
        }
        if (metrics.isEmpty()) {
            Set<String> tasks = new TreeSet<>();
            scores.forEach(s -> tasks.add(s.score().task()));
            throw MergeLabException.input("no scores for task '" + task + "' in the lab",
                    tasks.isEmpty() ? "no candidate has been evaluated yet" : "tasks with scores: " + String.join(", ", tasks));
        }
        return new ScoreOrder(task, metrics.iterator().next());
    }

    public boolean lowerIsBetter() {
        String m = metric.toLowerCase(java.util.Locale.ROOT);
        return LOWER_IS_BETTER.stream().anyMatch(m::contains);
    }

    /** The newest value of this task and metric among {@code scores} of one candidate. */
    public Optional<Double> valueIn(List<StoredScore> scores) {
        return scores.stream().filter(s -> s.score().task().equals(task) && s.score().metric().equals(metric))
                .max(Comparator.comparing(StoredScore::recordedAt)).map(s -> s.score().value());
    }

    /** Orders candidate ids best first given each one's scores; ties and unscored keep their order. */
    public Comparator<Candidate> comparator(Map<String, List<StoredScore>> scores) {
        Comparator<Double> values = lowerIsBetter() ? Comparator.naturalOrder() : Comparator.reverseOrder();
        return Comparator.comparing((Candidate c) -> valueIn(scores.getOrDefault(c.id(), List.of())).orElse(null),
                Comparator.nullsLast(values));
    }
}
