package dev.mergelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.lab.registry.Edge;
import java.util.Map;

/** Short text forms of the lab's records for the terminal (the JSON forms carry everything). */
final class LabText {

    private LabText() {
    }

    /** {@code merge ties (base) density=0.5 weight=0.2..0.8 (varies)}: relation, method and parameters of an edge. */
    static String edge(Edge e) {
        String p = parameters(e.parameters());
        return e.relation() + (e.method() == null ? "" : " " + e.method()) + (e.isBase() ? " (base)" : "") + (p.isEmpty() ? "" : " " + p);
    }

    /** {@code key=value} pairs; a parameter that varies by tensor shows its range, the JSON output has every value. */
    static String parameters(JsonNode params) {
        if (params == null || params.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, JsonNode> e : params.properties()) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(e.getKey()).append('=').append(value(e.getValue()));
        }
        return sb.toString();
    }

    private static String value(JsonNode v) {
        if (!v.isObject()) {
            return v.isTextual() ? v.asText() : v.toString();
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (JsonNode x : v) {
            if (!x.isNumber()) {
                return "(varies by tensor)";
            }
            min = Math.min(min, x.asDouble());
            max = Math.max(max, x.asDouble());
        }
        return fmt(min) + ".." + fmt(max) + " (varies by tensor)";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }
}
