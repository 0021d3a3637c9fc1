package dev.mergelab.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The view merge papers report for several models: each model's headline score per task, and that score
 * normalised to the best single parent on the task (1.0 = as good as the best parent, above 1 better). The
 * parents are the models given as plain models (not recipes); lower-is-better metrics (perplexities,
 * bits_per_byte) normalise as best / score so that above 1 is better for every metric.
 */
public final class Interference {

    /** One task row: its metric, whether higher is better, and each model's score (null where missing). */
    public record Row(String task, String metric, boolean higherIsBetter, List<Double> scores, List<Double> normalised) {
    }

    private Interference() {
    }

    /**
     * @param perModel each model's results: task → (metric → value), metrics named as in results.json ("acc,none")
     * @param parents  which models are parents
     */
    public static List<Row> build(List<Map<String, Map<String, Object>>> perModel, List<Boolean> parents) {
        Map<String, String> headline = new LinkedHashMap<>();
        for (Map<String, Map<String, Object>> m : perModel) {
            m.forEach((task, metrics) -> {
                if (!headline.containsKey(task)) {
                    metrics.keySet().stream().filter(k -> k.endsWith(",none") && !k.contains("_stderr")).findFirst()
                            .ifPresent(k -> headline.put(task, k));
                }
            });
        }
        List<Row> rows = new ArrayList<>();
        for (var e : headline.entrySet()) {
            String metric = e.getValue();
            String name = metric.substring(0, metric.indexOf(','));
            boolean higher = name.equals("acc") || name.equals("acc_norm");
            List<Double> scores = new ArrayList<>();
            Double best = null;
            for (int i = 0; i < perModel.size(); i++) {
                Map<String, Object> metrics = perModel.get(i).get(e.getKey());
                Object v = metrics == null ? null : metrics.get(metric);
                Double d = v instanceof Number n ? n.doubleValue() : null;
                scores.add(d);
                if (d != null && parents.get(i) && (best == null || (higher ? d > best : d < best))) {
                    best = d;
                }
            }
            List<Double> norm = new ArrayList<>();
            for (Double d : scores) {
                norm.add(d == null || best == null || (higher ? best == 0 : d == 0) ? null : higher ? d / best : best / d);
            }
            rows.add(new Row(e.getKey(), name, higher, scores, norm));
        }
        return rows;
    }
}
