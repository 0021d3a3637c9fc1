package dev.mergelab.lab.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A lineage (the JSON of {@code /api/lineage/{id}}) drawn as a layered DAG in SVG: base models on top, the candidate
 * at the bottom, each edge labelled with its relation and method (its parameters in the tooltip), each node a link to
 * its page.
 */
final class LineageSvg {

    private static final int MAX_TOOLTIP = 400;

    private LineageSvg() {
    }

    static String render(JsonNode lineage) {
        List<String> ids = new ArrayList<>();
        lineage.get("nodes").forEach(n -> ids.add(n.get("id").asText()));
        List<DagLayout.Edge> edges = new ArrayList<>();
        lineage.get("edges").forEach(e -> edges.add(new DagLayout.Edge(e.get("from").asText(), e.get("to").asText())));
        DagLayout.Layout layout = DagLayout.of(ids, edges);
        String focus = ids.isEmpty() ? "" : ids.getFirst();
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"lineage\" class=\"dag\" width=\"").append(Html.coord(layout.width()))
                .append("\" height=\"").append(Html.coord(layout.height())).append("\" viewBox=\"0 0 ").append(Html.coord(layout.width())).append(' ')
                .append(Html.coord(layout.height())).append("\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
                        + "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n");
        StringBuilder labels = new StringBuilder();
        int k = 0;
        for (JsonNode e : lineage.get("edges")) {
            DagLayout.Route r = findRoute(layout, e.get("from").asText(), e.get("to").asText(), k++);
            if (r == null) {
                continue;
            }
            String label = e.get("relation").asText() + (e.path("method").isTextual() ? " " + e.get("method").asText() : "")
                    + (e.path("base").asBoolean() ? " (base)" : "");
            String params = e.path("parameters").isMissingNode() || e.get("parameters").isNull() ? "" : e.get("parameters").toString();
            if (params.length() > MAX_TOOLTIP) {
                params = params.substring(0, MAX_TOOLTIP) + "...";
            }
            sb.append("<g class=\"edge\" data-from=\"").append(Html.esc(e.get("from").asText())).append("\" data-to=\"")
                    .append(Html.esc(e.get("to").asText())).append("\" data-relation=\"").append(Html.esc(e.get("relation").asText())).append("\">");
            sb.append("<title>").append(Html.esc(label + (params.isEmpty() ? "" : "\n" + params))).append("</title>");
            sb.append("<polyline marker-end=\"url(#arrow)\" points=\"");
            for (double[] p : r.points()) {
                sb.append(Html.coord(p[0])).append(',').append(Html.coord(p[1])).append(' ');
            }
            sb.append("\"/>");
            // A label goes where its edge has room: on the bend of an edge that crosses layers (the layout keeps a
            // slot wide enough there), else beside the middle of the line. Labels are drawn after the nodes.
            List<double[]> pts = r.points();
            boolean bends = pts.size() > 2;
            double[] m = bends ? pts.get(pts.size() / 2) : r.middle();
            labels.append("<text class=\"label\" data-from=\"").append(Html.esc(e.get("from").asText())).append("\" data-to=\"")
                    .append(Html.esc(e.get("to").asText())).append("\" x=\"").append(Html.coord(bends ? m[0] : m[0] + 5)).append("\" y=\"")
                    .append(Html.coord(m[1] + 4)).append(bends ? "\" text-anchor=\"middle\">" : "\">").append(Html.esc(label)).append("</text>\n");
            sb.append("</g>\n");
        }
        for (JsonNode n : lineage.get("nodes")) {
            String id = n.get("id").asText();
            DagLayout.Box b = layout.boxes().get(id);
            String path = n.get("path").asText();
            String kind = n.get("kind").asText();
            String name = path.isEmpty() ? "(in memory)" : baseName(path);
            sb.append("<a href=\"/candidates/").append(Html.esc(id)).append("\"><g class=\"node").append(id.equals(focus) ? " focus" : "")
                    .append(kind.equals("virtual") ? " virtual" : "").append("\" data-id=\"").append(Html.esc(id)).append("\" data-kind=\"")
                    .append(Html.esc(kind)).append("\"><title>").append(Html.esc(path.isEmpty() ? "in-memory candidate " + id : path)).append("</title>")
                    .append("<rect x=\"").append(Html.coord(b.x())).append("\" y=\"").append(Html.coord(b.y())).append("\" width=\"")
                    .append(Html.coord(DagLayout.NODE_WIDTH)).append("\" height=\"").append(Html.coord(DagLayout.NODE_HEIGHT)).append("\" rx=\"6\"/>")
                    .append(text("id", b.centerX(), b.y() + 17, id))
                    .append(text("name", b.centerX(), b.y() + 33, clip(name, 26)))
                    .append(text("kind", b.centerX(), b.y() + 48, kind))
                    .append("</g></a>\n");
        }
        return sb.append("<g class=\"labels\">\n").append(labels).append("</g>\n</svg>").toString();
    }

    /** The k-th edge's route (edges the layout kept are in input order; self-loops and dangling edges were dropped). */
    private static DagLayout.Route findRoute(DagLayout.Layout layout, String from, String to, int k) {
        if (k < layout.routes().size() && layout.routes().get(k).edge().equals(new DagLayout.Edge(from, to))) {
            return layout.routes().get(k);
        }
        return layout.routes().stream().filter(r -> r.edge().from().equals(from) && r.edge().to().equals(to)).findFirst().orElse(null);
    }

    private static String text(String cls, double x, double y, String s) {
        return "<text class=\"" + cls + "\" x=\"" + Html.coord(x) + "\" y=\"" + Html.coord(y) + "\" text-anchor=\"middle\">" + Html.esc(s) + "</text>";
    }

    static String baseName(String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        int slash = p.lastIndexOf('/');
        return slash < 0 ? p : p.substring(slash + 1);
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
