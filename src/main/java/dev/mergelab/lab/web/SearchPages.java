package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Searches and soups ({@code /searches}, {@code /searches/{id}}): the list, and for one its progress (fitness of every
 * evaluation and the best so far per generation) and its Pareto front (a scatter of two chosen objectives, the
 * evaluations no other dominates highlighted), read from the lab's {@code searches} and {@code search_evals}.
 */
final class SearchPages {

    private SearchPages() {
    }

    static String list(Path lab, JsonNode searches) {
        Page p = new Page("Searches", lab).heading("Searches and soups");
        if (searches.isEmpty()) {
            return p.para("No search or soup recorded in this lab yet ('mergelab search' and 'mergelab soup' record every evaluation).").html();
        }
        StringBuilder t = new StringBuilder("<table id=\"searches\" class=\"data\"><thead><tr><th>id</th><th>kind</th><th>objectives</th><th>started</th>"
                + "<th>state</th><th>evaluations</th><th>best fitness</th><th>best</th><th>output</th></tr></thead><tbody>\n");
        for (JsonNode s : searches) {
            String id = s.get("id").asText();
            t.append("<tr data-id=\"").append(Html.esc(id)).append("\"><td class=\"id\"><a href=\"/searches/").append(Html.esc(id)).append("\">")
                    .append(Html.esc(id)).append("</a></td><td>").append(Html.esc(s.get("kind").asText())).append("</td><td>")
                    .append(Html.esc(objectives(s.get("objectives")))).append("</td><td>").append(Html.esc(s.get("started_at").asText())).append("</td><td>")
                    .append(s.get("finished_at").isTextual() ? "finished " + Html.esc(s.get("finished_at").asText()) : "running or stopped")
                    .append("</td><td class=\"num\">").append(s.get("evaluation_count").asInt()).append("</td><td class=\"num\">")
                    .append(s.get("best_fitness").isNumber() ? Html.num(s.get("best_fitness").asDouble()) : "-").append("</td><td>")
                    .append(candidateLink(s.get("best"))).append("</td><td class=\"path\">").append(Html.esc(s.get("out_path").asText()))
                    .append("</td></tr>\n");
        }
        return p.add(t.append("</tbody></table>\n").toString()).html();
    }

    /** @param x the objective on the Pareto plot's x axis, {@code y} on its y axis (indices into the objectives) */
    static String detail(Path lab, JsonNode s, int x, int y) {
        String id = s.get("id").asText();
        Page p = new Page("Search " + id, lab).heading(cap(s.get("kind").asText()) + " " + id);
        JsonNode objectives = s.get("objectives");
        p.add("<dl class=\"facts\"><dt>content id</dt><dd><code>" + Html.esc(s.get("sha256").asText()) + "</code></dd><dt>objectives</dt><dd>"
                + Html.esc(objectives(objectives)) + "</dd><dt>seed</dt><dd>" + s.get("seed").asLong() + "</dd><dt>started</dt><dd>"
                + Html.esc(s.get("started_at").asText()) + "</dd><dt>state</dt><dd>"
                + (s.get("finished_at").isTextual() ? "finished " + Html.esc(s.get("finished_at").asText()) : "running, or stopped before the end")
                + "</dd><dt>evaluations</dt><dd>" + s.get("evaluation_count").asInt() + "</dd><dt>best</dt><dd>" + candidateLink(s.get("best"))
                + (s.get("best_fitness").isNumber() ? ", fitness " + Html.num(s.get("best_fitness").asDouble()) : "") + "</dd><dt>output</dt><dd>"
                + Html.esc(s.get("out_path").asText()) + "</dd></dl>\n");

        JsonNode evals = s.get("evaluations");
        p.section("Progress");
        if (evals.isEmpty()) {
            p.para("No evaluation recorded yet.");
        } else {
            List<Chart.Point> all = new ArrayList<>();
            for (JsonNode e : evals) {
                all.add(new Chart.Point(e.get("step").asDouble(), e.get("fitness").asDouble(), "step " + e.get("step").asInt() + ", generation "
                        + e.get("generation").asInt() + ": fitness " + Html.num(e.get("fitness").asDouble()), "data-step=\"" + e.get("step").asInt()
                        + "\" data-generation=\"" + e.get("generation").asInt() + "\""));
            }
            List<Chart.Point> best = new ArrayList<>();
            for (JsonNode g : s.get("generations")) {
                best.add(new Chart.Point(g.get("last_step").asDouble(), g.get("best_so_far").asDouble(), "after generation " + g.get("generation").asInt()
                        + ": best so far " + Html.num(g.get("best_so_far").asDouble()) + " (median of the generation "
                        + Html.num(g.get("median_fitness").asDouble()) + ")", "data-generation=\"" + g.get("generation").asInt() + "\""));
            }
            p.add("<figure>" + new Chart("progress", "evaluation (step)", "fitness (lower is better)").points("evals", all, 3)
                    .line("best-so-far", best).points("generation-best", best, 4.5).svg()
                    + "<figcaption>Every evaluation's fitness (dots) and the best so far at the end of each generation (line).</figcaption></figure>\n");
        }

        p.section("Pareto front");
        int n = objectives.size();
        if (n < 2) {
            p.para("A single objective: no front to draw.");
        } else {
            x = Math.clamp(x, 0, n - 1);
            y = Math.clamp(y, 0, n - 1);
            p.add("<form method=\"get\" class=\"pick\">" + objectiveSelect("x", "x axis", objectives, x) + objectiveSelect("y", "y axis", objectives, y)
                    + "<button type=\"submit\">Plot</button></form>\n");
            Set<Integer> front = new HashSet<>();
            s.get("pareto_front").forEach(f -> front.add(f.asInt()));
            List<Chart.Point> others = new ArrayList<>();
            List<Chart.Point> onFront = new ArrayList<>();
            for (JsonNode e : evals) {
                JsonNode ov = e.get("objectives");
                if (!ov.path(x).isNumber() || !ov.path(y).isNumber()) {
                    continue;
                }
                int step = e.get("step").asInt();
                Chart.Point pt = new Chart.Point(ov.get(x).asDouble(), ov.get(y).asDouble(), "step " + step + ": " + Html.num(ov.get(x).asDouble())
                        + ", " + Html.num(ov.get(y).asDouble()) + (e.get("candidate").isTextual() ? " (" + e.get("candidate").asText() + ")" : ""),
                        "data-step=\"" + step + "\"");
                (front.contains(step) ? onFront : others).add(pt);
            }
            List<Chart.Point> frontLine = new ArrayList<>(onFront);
            frontLine.sort(Comparator.comparingDouble(Chart.Point::x).thenComparingDouble(Chart.Point::y));
            p.add("<figure>" + new Chart("pareto", label(objectives.get(x)), label(objectives.get(y))).points("evals", others, 3)
                    .line("front-line", n == 2 ? frontLine : List.of()).points("front", onFront, 5).svg()
                    + "<figcaption>Each evaluation's two objectives; highlighted: the Pareto front over all " + n
                    + " objectives (no other evaluation is at least as good on every one and better on one).</figcaption></figure>\n");
        }

        p.section("Evaluations");
        if (!evals.isEmpty()) {
            StringBuilder t = new StringBuilder("<table id=\"evaluations\" class=\"data\"><thead><tr><th>step</th><th>generation</th><th>candidate</th>");
            for (JsonNode o : objectives) {
                t.append("<th>").append(Html.esc(label(o))).append("</th>");
            }
            t.append("<th>fitness</th><th>merge s</th><th>eval s</th></tr></thead><tbody>\n");
            Set<Integer> front = new HashSet<>();
            s.get("pareto_front").forEach(f -> front.add(f.asInt()));
            for (JsonNode e : evals) {
                int step = e.get("step").asInt();
                t.append("<tr data-step=\"").append(step).append('"').append(front.contains(step) ? " class=\"on-front\"" : "").append("><td class=\"num\">")
                        .append(step).append("</td><td class=\"num\">").append(e.get("generation").asInt()).append("</td><td>")
                        .append(candidateLink(e.get("candidate"))).append("</td>");
                for (int i = 0; i < n; i++) {
                    JsonNode v = e.get("objectives").path(i);
                    t.append("<td class=\"num\">").append(v.isNumber() ? Html.num(v.asDouble()) : "-").append("</td>");
                }
                t.append("<td class=\"num\">").append(Html.num(e.get("fitness").asDouble())).append("</td><td class=\"num\">")
                        .append(Html.num(e.get("merge_seconds").asDouble())).append("</td><td class=\"num\">").append(Html.num(e.get("eval_seconds").asDouble()))
                        .append("</td></tr>\n");
            }
            p.add(t.append("</tbody></table>\n").toString());
        }
        p.section("Configuration");
        JsonNode config = s.get("config");
        p.pre("config", config.isTextual() ? config.asText() : dev.mergelab.lab.registry.LabJsonViews.pretty(config));
        return p.html();
    }

    private static String objectiveSelect(String name, String label, JsonNode objectives, int chosen) {
        StringBuilder sb = new StringBuilder("<label>" + Html.esc(label) + " <select name=\"" + name + "\">");
        for (int i = 0; i < objectives.size(); i++) {
            sb.append("<option value=\"").append(i).append('"').append(i == chosen ? " selected" : "").append('>').append(Html.esc(label(objectives.get(i))))
                    .append("</option>");
        }
        return sb.append("</select></label> ").toString();
    }

    static String label(JsonNode objective) {
        double w = objective.get("weight").asDouble();
        return objective.get("task").asText() + " " + objective.get("metric").asText() + (w < 0 ? " (minimised)" : "")
                + (Math.abs(w) != 1 ? " ×" + Html.num(Math.abs(w)) : "");
    }

    private static String objectives(JsonNode objectives) {
        List<String> parts = new ArrayList<>();
        objectives.forEach(o -> parts.add(label(o)));
        return String.join("; ", parts);
    }

    private static String candidateLink(JsonNode id) {
        return id == null || !id.isTextual() ? "-" : "<a href=\"/candidates/" + Html.esc(id.asText()) + "\">" + Html.esc(id.asText()) + "</a>";
    }

    private static String cap(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
