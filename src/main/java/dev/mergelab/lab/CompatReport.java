package dev.mergelab.lab;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** The report {@code compat --json} prints: verdict, reasons, models, base, per-layer and total statistics. */
    public String toJson() {
        ObjectNode o = LabJson.MAPPER.createObjectNode();
        o.put("verdict", verdict);
        ArrayNode reasonList = o.putArray("reasons");
        reasons.forEach(reasonList::add);
        ArrayNode modelList = o.putArray("models");
        models.forEach(modelList::add);
        o.put("base", base);
        ArrayNode layerList = o.putArray("layers");
        for (Map.Entry<Integer, TaskVectorStats> e : layers.entrySet()) {
            ObjectNode l = layerList.addObject();
            l.put("layer", e.getKey());
            stats(l, e.getValue());
        }
        if (total != null) {
            stats(o.putObject("total"), total);
        }
        return LabJson.pretty(o);
    }

    private static void stats(ObjectNode o, TaskVectorStats s) {
        ArrayNode norms = o.putArray("delta_l2_norm");
        ArrayNode rel = o.putArray("relative_delta");
        ArrayNode changed = o.putArray("fraction_changed");
        for (int i = 0; i < s.models; i++) {
            norms.add(s.deltaNorm(i));
            rel.add(s.relativeDelta(i));
            changed.add(s.changedFraction(i));
        }
        ArrayNode pairs = o.putArray("pairs");
        for (int i = 0; i < s.models; i++) {
            for (int j = i + 1; j < s.models; j++) {
                pairs.addObject().put("i", i).put("j", j).put("cosine", s.cosine(i, j)).put("sign_conflict_rate", s.signConflictRate(i, j));
            }
        }
    }
}
