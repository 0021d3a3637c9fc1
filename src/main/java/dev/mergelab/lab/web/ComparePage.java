package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Two candidates side by side ({@code /compare?a=&b=}): their scores, and per layer the task vectors of both against
 * their common base as {@code lab compare} computes them (norms, norms relative to the base, cosine, sign conflicts).
 */
final class ComparePage {

    private ComparePage() {
    }

    /** @param compare the JSON of {@code /api/compare}, or null when the two are not chosen yet */
    static String render(Path lab, JsonNode candidates, JsonNode compare, String a, String b) {
        Page p = new Page("Compare", lab).heading("Compare two candidates");
        StringBuilder form = new StringBuilder("<form method=\"get\" action=\"/compare\" class=\"pick\">");
        form.append(select("a", "A", candidates, compare == null ? a : compare.get("a").get("id").asText()));
        form.append(select("b", "B", candidates, compare == null ? b : compare.get("b").get("id").asText()));
        p.add(form.append(" <button type=\"submit\">Compare</button></form>\n").toString());
        if (compare == null) {
            return p.para("Pick two candidates. Task vectors are taken against their nearest common merge base, as 'mergelab lab compare' does.").html();
        }
        JsonNode base = compare.get("base");
        p.add("<p>A <a href=\"/candidates/" + Html.esc(compare.get("a").get("id").asText()) + "\">" + Html.esc(compare.get("a").get("id").asText())
                + "</a>, B <a href=\"/candidates/" + Html.esc(compare.get("b").get("id").asText()) + "\">" + Html.esc(compare.get("b").get("id").asText())
                + "</a>" + (base == null || base.isNull() ? "" : ", against the base <a href=\"/candidates/" + Html.esc(base.get("id").asText()) + "\">"
                        + Html.esc(base.get("id").asText()) + "</a>") + ".</p>\n");
        p.section("Scores");
        JsonNode scores = compare.get("scores");
        if (scores.isEmpty()) {
            p.para("Neither has scores recorded.");
        } else {
            StringBuilder t = new StringBuilder("<table id=\"compare-scores\" class=\"data\"><thead><tr><th>task</th><th>metric</th><th>A</th><th>B</th>"
                    + "<th>B − A</th></tr></thead><tbody>\n");
            for (JsonNode r : scores) {
                Double va = r.get("a").isNumber() ? r.get("a").asDouble() : null;
                Double vb = r.get("b").isNumber() ? r.get("b").asDouble() : null;
                t.append("<tr><td>").append(Html.esc(r.get("task").asText())).append("</td><td>").append(Html.esc(r.get("metric").asText()))
                        .append("</td><td class=\"num\">").append(withStderr(va, r.get("a_stderr"))).append("</td><td class=\"num\">")
                        .append(withStderr(vb, r.get("b_stderr"))).append("</td><td class=\"num\">")
                        .append(va == null || vb == null ? "-" : Html.num(vb - va)).append("</td></tr>\n");
            }
            p.add(t.append("</tbody></table>\n").toString());
        }
        p.section("Task vectors per layer");
        JsonNode tv = compare.get("task_vectors");
        if (tv.has("error")) {
            return p.add("<p class=\"notice\" id=\"task-vector-error\">" + Html.esc(tv.get("error").asText()) + "</p>\n").html();
        }
        p.add("<p>Verdict: <strong>" + Html.esc(tv.get("verdict").asText()) + "</strong></p>\n");
        if (tv.has("reasons")) {
            StringBuilder ul = new StringBuilder("<ul>");
            tv.get("reasons").forEach(r -> ul.append("<li>").append(Html.esc(r.asText())).append("</li>"));
            p.add(ul.append("</ul>\n").toString());
        }
        List<Chart.Point> cosine = new ArrayList<>();
        List<Chart.Point> conflicts = new ArrayList<>();
        StringBuilder t = new StringBuilder("<table id=\"task-vectors\" class=\"data\"><thead><tr><th>layer</th><th>‖δA‖</th><th>‖δB‖</th><th>‖δA‖/‖W‖</th>"
                + "<th>‖δB‖/‖W‖</th><th>cosine</th><th>sign conflicts</th></tr></thead><tbody>\n");
        for (JsonNode l : tv.get("layers")) {
            int layer = l.get("layer").asInt();
            t.append(row(layer < 0 ? "other" : String.valueOf(layer), l));
            if (layer >= 0) {
                cosine.add(new Chart.Point(layer, l.get("cosine").asDouble(), "layer " + layer + ": cosine " + Html.num(l.get("cosine").asDouble()), null));
                conflicts.add(new Chart.Point(layer, l.get("sign_conflicts").asDouble(), "layer " + layer + ": sign conflicts "
                        + Html.num(l.get("sign_conflicts").asDouble()), null));
            }
        }
        if (tv.has("total")) {
            t.append(row("all", tv.get("total")));
        }
        p.add(t.append("</tbody></table>\n").toString());
        if (!cosine.isEmpty()) {
            p.add("<div class=\"charts\"><figure>" + new Chart("cosine-chart", "layer", "cosine of the task vectors", 460, 300).line("series-a", cosine)
                    .points("series-a", cosine, 3).svg() + "<figcaption>Per layer: cosine of δA and δB.</figcaption></figure><figure>"
                    + new Chart("conflict-chart", "layer", "share of sign conflicts", 460, 300).line("series-b", conflicts).points("series-b", conflicts, 3)
                    .svg() + "<figcaption>Per layer: share of elements both changed with opposite signs.</figcaption></figure></div>\n");
        }
        return p.html();
    }

    private static String row(String label, JsonNode l) {
        return "<tr><td>" + label + "</td><td class=\"num\">" + Html.num(l.get("norm_a").asDouble()) + "</td><td class=\"num\">"
                + Html.num(l.get("norm_b").asDouble()) + "</td><td class=\"num\">" + Html.num(l.get("relative_a").asDouble()) + "</td><td class=\"num\">"
                + Html.num(l.get("relative_b").asDouble()) + "</td><td class=\"num\">" + Html.num(l.get("cosine").asDouble()) + "</td><td class=\"num\">"
                + Html.num(100 * l.get("sign_conflicts").asDouble()) + " %</td></tr>\n";
    }

    private static String withStderr(Double v, JsonNode se) {
        return v == null ? "-" : Html.num(v) + (se != null && se.isNumber() ? " ± " + Html.num(se.asDouble()) : "");
    }

    static String select(String name, String label, JsonNode candidates, String chosen) {
        StringBuilder sb = new StringBuilder("<label>" + Html.esc(label) + " <select name=\"" + name + "\">");
        for (JsonNode c : candidates) {
            String id = c.get("id").asText();
            String path = c.get("path").asText();
            sb.append("<option value=\"").append(Html.esc(id)).append('"').append(id.equals(chosen) ? " selected" : "").append('>')
                    .append(Html.esc(id + "  " + (path.isEmpty() ? "(in memory)" : LineageSvg.baseName(path)))).append("</option>");
        }
        return sb.append("</select></label> ").toString();
    }
}
