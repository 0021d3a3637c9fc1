package dev.mergelab.lab.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A candidate's ancestry: every model it descends from, down to the roots (base models and fine-tunes met as
 * parents), and the edges between them. Nodes are in breadth-first order from the candidate, so output is stable.
 */
public record Lineage(List<Candidate> nodes, List<Edge> edges) {

    public static Lineage of(Registry registry, Candidate candidate) {
        Map<String, Candidate> nodes = new LinkedHashMap<>();
        List<Edge> edges = new ArrayList<>();
        nodes.put(candidate.id(), candidate);
        Deque<String> todo = new ArrayDeque<>(List.of(candidate.id()));
        while (!todo.isEmpty()) {
            for (Edge e : registry.parentsOf(todo.removeFirst())) {
                edges.add(e);
                if (!nodes.containsKey(e.parent())) {
                    nodes.put(e.parent(), registry.candidate(e.parent()).orElseThrow());
                    todo.addLast(e.parent());
                }
            }
        }
        return new Lineage(List.copyOf(nodes.values()), List.copyOf(edges));
    }

    /**
     * {@code {"nodes": [{"id", "path", "kind", "sha256"}], "edges": [{"from", "to", "relation", "method", "parameters"}]}}:
     * {@code id} is the short content id, {@code sha256} the full one; {@code from} is the parent, {@code to} the child.
     */
    public ObjectNode toJson() {
        ObjectNode root = Provenance.JSON.createObjectNode();
        ArrayNode ns = root.putArray("nodes");
        for (Candidate c : nodes) {
            ns.addObject().put("id", c.shortId()).put("path", c.path().toString()).put("kind", c.kind()).put("sha256", c.id());
        }
        ArrayNode es = root.putArray("edges");
        for (Edge e : edges) {
            ObjectNode o = es.addObject().put("from", ContentId.shortId(e.parent())).put("to", ContentId.shortId(e.child()))
                    .put("relation", e.relation()).put("method", e.method());
            o.set("parameters", e.parameters());
        }
        return root;
    }

    public String json() {
        try {
            return Provenance.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    /** Graphviz: parents above children, each edge labelled with its relation, method and constant parameters. */
    public String dot() {
        StringBuilder sb = new StringBuilder("digraph lineage {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n");
        for (Candidate c : nodes) {
            String name = c.isVirtual() ? c.where() : c.path().getFileName() == null ? c.path().toString() : c.path().getFileName().toString();
            sb.append("  \"").append(c.shortId()).append("\" [label=\"").append(escape(c.shortId() + "\n" + name + "\n" + c.kind()))
                    .append('"').append(c == nodes.getFirst() ? ", style=bold" : "").append("];\n");
        }
        for (Edge e : edges) {
            StringBuilder label = new StringBuilder(e.relation());
            if (e.method() != null) {
                label.append(' ').append(e.method());
            }
            if (e.isBase()) {
                label.append(" (base)");
            }
            if (e.parameters() != null) {
                for (Map.Entry<String, JsonNode> p : e.parameters().properties()) {
                    label.append('\n').append(p.getKey()).append('=').append(p.getValue().isValueNode() ? p.getValue().asText() : "per tensor");
                }
            }
            sb.append("  \"").append(ContentId.shortId(e.parent())).append("\" -> \"").append(ContentId.shortId(e.child()))
                    .append("\" [label=\"").append(escape(label.toString())).append("\"];\n");
        }
        return sb.append("}\n").toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** The roots: nodes without parents in this lineage (base models, fine-tunes met as parents). */
    public List<Candidate> roots() {
        return nodes.stream().filter(n -> edges.stream().noneMatch(e -> e.child().equals(n.id())))
                .sorted(Comparator.comparing(Candidate::id)).toList();
    }
}
