package dev.mergelab.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The compatibility gate's answer: a verdict, every finding in words, and (with a base) per-layer
 * task-vector statistics.
 *
 * @param verdict {@code merge}, {@code align} or {@code distill}
 * @param layers  per-layer statistics keyed by layer index (-1 for embeddings, norms and head); empty without stats
 * @param models  display names of the compared (non-base) models, in order
 */
public record CompatReport(String verdict, List<String> reasons, List<String> models, String base,
        Map<Integer, TaskVectorStats> layers, TaskVectorStats total) {

    public static final String MERGE = "merge";
    public static final String ALIGN = "align";
    public static final String DISTILL = "distill";

    public CompatReport {
        reasons = List.copyOf(new ArrayList<>(reasons));
        models = List.copyOf(models);
    }

    public boolean mergeable() {
        return !verdict.equals(DISTILL);
    }
}
