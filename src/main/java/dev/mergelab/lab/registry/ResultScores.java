package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The lab's scores of one results.json tree (lm-eval's layout): every numeric metric of every task, with its stderr. */
public final class ResultScores {

    private ResultScores() {
    }

    /**
     * One score per {@code "METRIC,FILTER"} number under {@code results} (stderr entries are attached, not scores).
     *
     * @param limit      documents per task, or null for all
     * @param dataHashes task name to the SHA-256 of its evaluated documents (a task without one gets none)
     * @param evaluator  who computed the scores
     */
    public static List<Score> of(JsonNode results, Integer limit, Map<String, String> dataHashes, String evaluator) {
        List<Score> scores = new ArrayList<>();
        results.get("results").properties().forEach(task -> task.getValue().properties().forEach(m -> {
            String key = m.getKey();
            int comma = key.indexOf(',');
            if (comma < 0 || key.substring(0, comma).endsWith("_stderr") || !m.getValue().isNumber()) {
                return;
            }
            JsonNode stderr = task.getValue().get(key.substring(0, comma) + "_stderr" + key.substring(comma));
            scores.add(new Score(task.getKey(), key, m.getValue().asDouble(), stderr != null && stderr.isNumber() ? stderr.asDouble() : null,
                    limit == null ? null : (long) limit, dataHashes.get(task.getKey()), evaluator));
        }));
        return scores;
    }
}
