package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/** A candidate's page ({@code /candidates/{id}}): what it is, its lineage as a DAG, parents, children, scores, runs with recipes, model card. */
final class CandidatePage {

    private CandidatePage() {
    }

    static String render(Path lab, JsonNode show, JsonNode lineage) {
        String id = show.get("id").asText();
        String path = show.get("path").asText();
        Page p = new Page("Candidate " + id, lab).heading("Candidate " + id);
        p.add("<dl class=\"facts\">"
                + fact("content id", "<code>" + Html.esc(show.get("sha256").asText()) + "</code>")
                + fact("path", path.isEmpty() ? "<em>in memory (a virtual child: merged and evaluated, never written)</em>"
                        : Html.esc(path) + (show.get("present").asBoolean() ? "" : " <span class=\"missing\">(missing)</span>"))
                + fact("kind", Html.esc(show.get("kind").asText()))
                + fact("architecture", Html.esc(text(show, "architecture")))
                + fact("dtype", Html.esc(text(show, "dtype")))
                + fact("size", Html.bytes(show.get("size").asLong()))
                + fact("first seen", Html.esc(show.get("first_seen").asText()) + ", last seen " + Html.esc(show.get("last_seen").asText()))
                + "</dl>\n");

        p.section("Lineage");
        if (lineage.get("edges").isEmpty()) {
            p.para("A root: met as a parent (or evaluated), not made in this lab.");
        }
        p.add("<div class=\"scroll\">" + LineageSvg.render(lineage) + "</div>\n");
        edges(p, "Parents", show.get("parents"), "from");
        edges(p, "Children", show.get("children"), "to");

        p.section("Scores");
        JsonNode scores = show.get("scores");
        if (scores.isEmpty()) {
            p.para("No scores recorded: evaluate it with 'mergelab eval' while the lab is active.");
        } else {
            StringBuilder t = new StringBuilder("<table id=\"scores\" class=\"data\"><thead><tr><th>task</th><th>metric</th><th>value</th><th>stderr</th>"
                    + "<th>limit</th><th>evaluator</th><th>recorded</th></tr></thead><tbody>\n");
            for (JsonNode s : scores) {
                t.append("<tr><td>").append(Html.esc(s.get("task").asText())).append("</td><td>").append(Html.esc(s.get("metric").asText()))
                        .append("</td><td class=\"num\">").append(Html.num(s.get("value").asDouble())).append("</td><td class=\"num\">")
                        .append(s.get("stderr").isNumber() ? Html.num(s.get("stderr").asDouble()) : "-").append("</td><td class=\"num\">")
                        .append(s.get("limit").isNumber() ? s.get("limit").asLong() : "all").append("</td><td>").append(Html.esc(text(s, "evaluator")))
                        .append("</td><td>").append(Html.esc(s.get("recorded_at").asText())).append("</td></tr>\n");
            }
            p.add(t.append("</tbody></table>\n").toString());
        }

        JsonNode evals = show.path("search_evaluations");
        if (!evals.isEmpty()) {
            p.section("Evaluated by searches");
            for (JsonNode e : evals) {
                StringBuilder line = new StringBuilder("<div class=\"search-eval\"><h3><a href=\"/searches/" + Html.esc(e.get("search").asText()) + "\">"
                        + Html.esc(e.get("search_kind").asText() + " " + e.get("search").asText()) + "</a>, step " + e.get("step").asInt()
                        + " (generation " + e.get("generation").asInt() + "): fitness " + Html.num(e.get("fitness").asDouble()) + "</h3>\n<p class=\"meta\">");
                for (JsonNode o : e.get("objectives")) {
                    line.append(Html.esc(o.has("task") ? o.get("task").asText() + " " + o.get("metric").asText() : "objective")).append(" = ")
                            .append(o.get("value").isNumber() ? Html.num(o.get("value").asDouble()) : "-").append("; ");
                }
                p.add(line.append("</p>\n").toString());
                p.pre("recipe", e.get("recipe").asText());
                p.add("</div>\n");
            }
        }

        p.section("Runs");
        JsonNode runs = show.get("run_records");
        if (runs.isEmpty()) {
            p.para(evals.isEmpty() ? "No recorded run wrote it." : "No recorded run wrote it: it was merged in memory for a search.");
        }
        for (JsonNode r : runs) {
            p.add("<div class=\"run\"><h3>Run " + r.get("run").asLong() + ": " + Html.esc(r.get("command").asText())
                    + (r.path("method").isTextual() ? " (" + Html.esc(r.get("method").asText()) + ")" : "") + "</h3>\n<p class=\"meta\">"
                    + Html.esc(r.get("started_at").asText()) + ", " + Html.num(r.get("seconds").asDouble()) + " s on " + Html.esc(r.get("host").asText())
                    + ", MergeLab " + Html.esc(r.get("tool_version").asText()) + " → " + Html.esc(r.get("out_path").asText()) + "</p>\n");
            if (r.path("parameters").isObject() && !r.get("parameters").isEmpty()) {
                p.add("<p class=\"meta\">parameters <code>" + Html.esc(r.get("parameters").toString()) + "</code></p>\n");
            }
            if (r.path("recipe").isTextual()) {
                p.pre("recipe", r.get("recipe").asText());
            }
            p.add("</div>\n");
        }

        p.section("Model card");
        if (show.path("model_card").isTextual()) {
            p.pre("model-card", show.get("model_card").asText());
        } else {
            p.para(path.isEmpty() ? "An in-memory child has no folder and no model card." : "The folder has no README.md.");
        }
        return p.html();
    }

    private static void edges(Page p, String title, JsonNode edges, String end) {
        if (edges.isEmpty()) {
            return;
        }
        p.section(title);
        StringBuilder t = new StringBuilder("<table class=\"data edges\"><thead><tr><th>id</th><th>kind</th><th>relation</th><th>method</th>"
                + "<th>parameters</th><th>path</th></tr></thead><tbody>\n");
        for (JsonNode e : edges) {
            String other = e.get(end).asText();
            String path = text(e, "path");
            t.append("<tr><td class=\"id\"><a href=\"/candidates/").append(Html.esc(other)).append("\">").append(Html.esc(other)).append("</a></td><td>")
                    .append(Html.esc(text(e, "kind"))).append("</td><td>").append(Html.esc(e.get("relation").asText()))
                    .append(e.path("base").asBoolean() ? " (base)" : "").append("</td><td>").append(Html.esc(text(e, "method"))).append("</td><td><code>")
                    .append(e.path("parameters").isNull() || e.path("parameters").isMissingNode() ? "" : Html.esc(clip(e.get("parameters").toString(), 200)))
                    .append("</code></td><td class=\"path\">").append(path.isEmpty() || path.equals("-") ? "<em>in memory</em>" : Html.esc(path))
                    .append("</td></tr>\n");
        }
        p.add(t.append("</tbody></table>\n").toString());
    }

    private static String fact(String name, String html) {
        return "<dt>" + Html.esc(name) + "</dt><dd>" + html + "</dd>";
    }

    static String text(JsonNode o, String field) {
        JsonNode v = o.path(field);
        return v.isTextual() ? v.asText() : v.isNumber() || v.isBoolean() ? v.asText() : "-";
    }

    static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
