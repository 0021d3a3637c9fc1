package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The interference matrix of a set of candidates ({@code /interference?ids=...}), as {@code eval} prints it for
 * several models: per task the headline score of each, and that score relative to the best parent in the set
 * (1.00 = as good as the best parent; above 1 better, also for lower-is-better metrics).
 */
final class InterferencePage {

    private InterferencePage() {
    }

    /** @param matrix the JSON of {@code /api/interference}, or null when no set is chosen */
    static String render(Path lab, JsonNode candidates, JsonNode matrix) {
        Page p = new Page("Interference", lab).heading("Interference matrix");
        Set<String> chosen = new HashSet<>();
        if (matrix != null) {
            matrix.get("candidates").forEach(c -> chosen.add(c.get("id").asText()));
        }
        StringBuilder form = new StringBuilder("<form method=\"get\" action=\"/interference\" class=\"pick\"><fieldset><legend>Candidates</legend>");
        for (JsonNode c : candidates) {
            String id = c.get("id").asText();
            String path = c.get("path").asText();
            form.append("<label class=\"choice\"><input type=\"checkbox\" name=\"ids\" value=\"").append(Html.esc(id)).append('"')
                    .append(chosen.contains(id) ? " checked" : "").append("> ").append(Html.esc(id)).append(" <span class=\"dim\">")
                    .append(Html.esc(path.isEmpty() ? "(in memory)" : LineageSvg.baseName(path))).append("</span></label>");
        }
        p.add(form.append("</fieldset><button type=\"submit\">Show</button></form>\n").toString());
        if (matrix == null) {
            return p.para("Tick parents and the merges made from them. The parents are the ticked candidates that another ticked one descends from.")
                    .html();
        }
        JsonNode members = matrix.get("candidates");
        StringBuilder t = new StringBuilder("<table id=\"interference\" class=\"data\"><thead><tr><th>task</th><th>metric</th>");
        boolean anyParent = false;
        for (JsonNode c : members) {
            boolean parent = c.get("parent").asBoolean();
            anyParent |= parent;
            t.append("<th data-id=\"").append(Html.esc(c.get("id").asText())).append("\"").append(parent ? " class=\"parent\"" : "")
                    .append("><a href=\"/candidates/").append(Html.esc(c.get("id").asText())).append("\">").append(Html.esc(c.get("id").asText()))
                    .append("</a><br><span class=\"dim\">").append(parent ? "parent" : Html.esc(c.get("kind").asText())).append("</span></th>");
        }
        t.append("</tr></thead><tbody>\n");
        for (JsonNode r : matrix.get("rows")) {
            t.append("<tr data-task=\"").append(Html.esc(r.get("task").asText())).append("\"><td>").append(Html.esc(r.get("task").asText()))
                    .append("</td><td>").append(Html.esc(r.get("metric").asText())).append(r.get("higher_is_better").asBoolean() ? " ↑" : " ↓").append("</td>");
            for (int i = 0; i < members.size(); i++) {
                JsonNode v = r.get("scores").get(i);
                JsonNode rel = r.get("relative").get(i);
                String cls = !rel.isNumber() || members.get(i).get("parent").asBoolean() ? "" : rel.asDouble() > 1 + 1e-9 ? " better" : rel.asDouble() < 1 - 1e-9 ? " worse" : "";
                t.append("<td class=\"num").append(cls).append("\"").append(rel.isNumber() ? " data-relative=\"" + rel.asDouble() + "\"" : "").append('>')
                        .append(v.isNumber() ? Html.num(v.asDouble()) : "-")
                        .append(rel.isNumber() ? "<br><span class=\"rel\">×" + String.format(java.util.Locale.ROOT, "%.3f", rel.asDouble()) + "</span>" : "")
                        .append("</td>");
            }
            t.append("</tr>\n");
        }
        p.add(t.append("</tbody></table>\n").toString());
        if (!anyParent) {
            p.para("No ticked candidate descends from another, so there is no parent to compare with: tick the parents too.");
        } else {
            p.para("×: the score relative to the best parent on that task (above 1: better than every parent).");
        }
        return p.html();
    }
}
