package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * The candidates table ({@code /}): one row per candidate, one column per task and metric scored in the lab. A score
 * column's header sorts by it, best first (lower first for perplexities and bits per byte); clicking the sorted column
 * again reverses it. Links filter by kind. Rows can be ticked for the interference matrix or a comparison.
 */
final class CandidatesPage {

    private CandidatesPage() {
    }

    static String render(Path lab, JsonNode api) {
        Page p = new Page("Candidates", lab).heading("Candidates");
        String kind = api.path("kind").isTextual() ? api.get("kind").asText() : null;
        JsonNode sort = api.get("sort");
        StringBuilder filter = new StringBuilder("<p class=\"filters\">Kind: ");
        filter.append(kind == null ? "<strong>all</strong>" : "<a href=\"" + keepingSort(null, sort) + "\">all</a>");
        for (JsonNode k : api.get("kinds")) {
            String name = k.asText();
            filter.append(" · ").append(name.equals(kind) ? "<strong>" + Html.esc(name) + "</strong>"
                    : "<a class=\"kind\" href=\"" + keepingSort(name, sort) + "\">" + Html.esc(name) + "</a>");
        }
        p.add(filter.append("</p>\n").toString());
        JsonNode candidates = api.get("candidates");
        if (candidates.isEmpty()) {
            return p.para(kind == null ? "The lab has no candidates yet: merge, eval, lora and export commands record them while the lab is active."
                    : "No candidate of kind " + kind + ".").html();
        }
        StringBuilder t = new StringBuilder("<form method=\"get\" action=\"/interference\">\n<div class=\"scroll\"><table id=\"candidates\" class=\"data\"><thead><tr>"
                + "<th></th><th>id</th><th>kind</th><th>made by</th><th>dtype</th><th>size</th><th>runs</th>");
        for (JsonNode col : api.get("score_columns")) {
            String task = col.get("task").asText();
            String metric = col.get("metric").asText();
            boolean sorted = !sort.isNull() && sort.get("task").asText().equals(task) && sort.get("metric").asText().equals(metric);
            boolean reverse = sorted && sort.get("reverse").asBoolean();
            String arrow = sorted ? (reverse ? " ▲" : " ▼") : "";
            t.append("<th class=\"score").append(sorted ? " sorted" : "").append("\" data-task=\"").append(Html.esc(task)).append("\" data-metric=\"")
                    .append(Html.esc(metric)).append("\"><a href=\"").append(href(kind, task + "," + metric, sorted && !reverse)).append("\" title=\"")
                    .append(col.get("lower_is_better").asBoolean() ? "lower is better" : "higher is better").append("\">").append(Html.esc(task))
                    .append("<br><span class=\"metric\">").append(Html.esc(metric)).append("</span>").append(arrow).append("</a></th>");
        }
        t.append("<th>path</th></tr></thead>\n<tbody>\n");
        for (JsonNode c : candidates) {
            String id = c.get("id").asText();
            boolean virtual = c.get("path").asText().isEmpty();
            t.append("<tr data-id=\"").append(Html.esc(id)).append("\" data-kind=\"").append(Html.esc(c.get("kind").asText())).append("\">")
                    .append("<td><input type=\"checkbox\" name=\"ids\" value=\"").append(Html.esc(id)).append("\" aria-label=\"select ")
                    .append(Html.esc(id)).append("\"></td>")
                    .append("<td class=\"id\"><a href=\"/candidates/").append(Html.esc(id)).append("\">").append(Html.esc(id)).append("</a></td>")
                    .append("<td>").append(Html.esc(c.get("kind").asText())).append("</td>")
                    .append("<td>").append(Html.esc(c.path("made_by").isTextual() ? c.get("made_by").asText() : virtual ? "(in memory)" : "(parent)")).append("</td>")
                    .append("<td>").append(Html.esc(c.path("dtype").isTextual() ? c.get("dtype").asText() : "-")).append("</td>")
                    .append("<td class=\"num\">").append(virtual ? "-" : Html.bytes(c.get("size").asLong())).append("</td>")
                    .append("<td class=\"num\">").append(c.get("runs").asInt()).append("</td>");
            for (JsonNode col : api.get("score_columns")) {
                Double v = newest(c.get("scores"), col.get("task").asText(), col.get("metric").asText());
                t.append("<td class=\"num score\"").append(v == null ? "" : " data-value=\"" + v + "\"").append(">").append(Html.num(v)).append("</td>");
            }
            String path = c.get("path").asText();
            t.append("<td class=\"path\">").append(path.isEmpty() ? "<em>in memory</em>" : Html.esc(path))
                    .append(c.get("present").asBoolean() || path.isEmpty() ? "" : " <span class=\"missing\">(missing)</span>").append("</td></tr>\n");
        }
        t.append("</tbody></table></div>\n<p><button type=\"submit\">Interference matrix of the ticked</button> "
                + "<button type=\"submit\" formaction=\"/compare\">Compare the two ticked</button></p></form>\n");
        return p.add(t.toString()).html();
    }

    /** The newest value of a task and metric among a candidate's scores (as the JSON lists them). */
    static Double newest(JsonNode scores, String task, String metric) {
        Double v = null;
        String when = "";
        for (JsonNode s : scores) {
            if (s.get("task").asText().equals(task) && s.get("metric").asText().equals(metric) && s.get("recorded_at").asText().compareTo(when) >= 0) {
                v = s.get("value").asDouble();
                when = s.get("recorded_at").asText();
            }
        }
        return v;
    }

    /** A kind filter's link, keeping the current order. */
    private static String keepingSort(String kind, JsonNode sort) {
        return href(kind, sort == null || sort.isNull() ? null : sort.get("task").asText() + "," + sort.get("metric").asText(),
                sort != null && !sort.isNull() && sort.get("reverse").asBoolean());
    }

    private static String href(String kind, String sort, boolean reverse) {
        StringBuilder q = new StringBuilder();
        if (kind != null) {
            q.append("kind=").append(Html.url(kind));
        }
        if (sort != null) {
            q.append(q.isEmpty() ? "" : "&").append("sort=").append(Html.url(sort)).append(reverse ? "&reverse=1" : "");
        }
        return Html.esc(q.isEmpty() ? "/" : "/?" + q);
    }
}
