package dev.mergelab.lab.web;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layered drawing of a DAG (the Sugiyama scheme, kept small): parents above children. Each node's layer is its
 * longest distance from a root, so every edge points down; an edge that spans several layers gets a bend point in
 * each layer it crosses, so it is routed around the nodes of those layers; nodes and bend points are ordered within
 * their layer by the barycentre of their neighbours (alternating downward and upward sweeps) to reduce crossings.
 * Deterministic: ties keep the input order.
 */
final class DagLayout {

    static final double NODE_WIDTH = 190;
    static final double NODE_HEIGHT = 54;
    /** Room kept for an edge passing through a layer: its label is written there. */
    static final double BEND_WIDTH = 110;
    static final double GAP = 36;
    static final double LAYER_GAP = 84;
    static final double MARGIN = 16;
    private static final int SWEEPS = 4;

    /** A directed edge of the input, parent to child. */
    record Edge(String from, String to) {
    }

    /** A node's box: top-left corner and its layer. */
    record Box(String id, int layer, double x, double y) {

        double centerX() {
            return x + NODE_WIDTH / 2;
        }
    }

    /** An edge's route: parent's bottom centre, a bend per crossed layer, child's top centre. */
    record Route(Edge edge, List<double[]> points) {

        /** The point halfway along the route, where its label goes. */
        double[] middle() {
            double total = 0;
            for (int i = 1; i < points.size(); i++) {
                total += dist(points.get(i - 1), points.get(i));
            }
            double half = total / 2;
            for (int i = 1; i < points.size(); i++) {
                double d = dist(points.get(i - 1), points.get(i));
                if (d >= half && d > 0) {
                    double t = half / d;
                    double[] a = points.get(i - 1);
                    double[] b = points.get(i);
                    return new double[] {a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])};
                }
                half -= d;
            }
            return points.getLast();
        }

        private static double dist(double[] a, double[] b) {
            return Math.hypot(b[0] - a[0], b[1] - a[1]);
        }
    }

    record Layout(Map<String, Box> boxes, List<Route> routes, double width, double height) {
    }

    private DagLayout() {
    }

    /** Lays out {@code nodes} (in a stable order) and the edges among them; edges naming unknown nodes are ignored. */
    static Layout of(List<String> nodes, List<Edge> edges) {
        Map<String, Integer> layer = layers(nodes, edges);
        List<Edge> kept = edges.stream().filter(e -> layer.containsKey(e.from()) && layer.containsKey(e.to()) && !e.from().equals(e.to())).toList();
        int depth = layer.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;

        // Slots: the real nodes (index < nodes.size()) and one bend per layer an edge crosses.
        List<Integer> slotLayer = new ArrayList<>();
        for (String n : nodes) {
            slotLayer.add(layer.get(n));
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i), i);
        }
        List<List<Integer>> up = new ArrayList<>();   // neighbours in the layer above
        List<List<Integer>> down = new ArrayList<>(); // neighbours in the layer below
        for (int i = 0; i < nodes.size(); i++) {
            up.add(new ArrayList<>());
            down.add(new ArrayList<>());
        }
        List<List<Integer>> chains = new ArrayList<>();
        for (Edge e : kept) {
            List<Integer> chain = new ArrayList<>();
            int from = index.get(e.from());
            chain.add(from);
            for (int l = layer.get(e.from()) + 1; l < layer.get(e.to()); l++) {
                slotLayer.add(l);
                up.add(new ArrayList<>());
                down.add(new ArrayList<>());
                chain.add(slotLayer.size() - 1);
            }
            chain.add(index.get(e.to()));
            for (int k = 1; k < chain.size(); k++) {
                down.get(chain.get(k - 1)).add(chain.get(k));
                up.get(chain.get(k)).add(chain.get(k - 1));
            }
            chains.add(chain);
        }

        List<List<Integer>> order = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            order.add(new ArrayList<>());
        }
        for (int s = 0; s < slotLayer.size(); s++) {
            order.get(slotLayer.get(s)).add(s);
        }
        double[] pos = new double[slotLayer.size()];
        positions(order, pos);
        for (int sweep = 0; sweep < SWEEPS; sweep++) {
            for (int l = 1; l < depth; l++) {
                sortByBarycentre(order.get(l), up, pos);
                positions(order, pos);
            }
            for (int l = depth - 2; l >= 0; l--) {
                sortByBarycentre(order.get(l), down, pos);
                positions(order, pos);
            }
        }

        // Coordinates: each layer centred on the widest one.
        double[] x = new double[slotLayer.size()];
        double widest = 0;
        double[] layerWidth = new double[depth];
        for (int l = 0; l < depth; l++) {
            double w = 0;
            for (int s : order.get(l)) {
                w += (s < nodes.size() ? NODE_WIDTH : BEND_WIDTH) + GAP;
            }
            layerWidth[l] = Math.max(0, w - GAP);
            widest = Math.max(widest, layerWidth[l]);
        }
        for (int l = 0; l < depth; l++) {
            double cursor = MARGIN + (widest - layerWidth[l]) / 2;
            for (int s : order.get(l)) {
                x[s] = cursor;
                cursor += (s < nodes.size() ? NODE_WIDTH : BEND_WIDTH) + GAP;
            }
        }
        Map<String, Box> boxes = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            boxes.put(nodes.get(i), new Box(nodes.get(i), slotLayer.get(i), x[i], y(slotLayer.get(i))));
        }
        List<Route> routes = new ArrayList<>();
        for (int k = 0; k < kept.size(); k++) {
            List<Integer> chain = chains.get(k);
            List<double[]> pts = new ArrayList<>();
            Box from = boxes.get(kept.get(k).from());
            pts.add(new double[] {from.centerX(), from.y() + NODE_HEIGHT});
            for (int c = 1; c < chain.size() - 1; c++) {
                int s = chain.get(c);
                pts.add(new double[] {x[s] + BEND_WIDTH / 2, y(slotLayer.get(s)) + NODE_HEIGHT / 2});
            }
            Box to = boxes.get(kept.get(k).to());
            pts.add(new double[] {to.centerX(), to.y()});
            routes.add(new Route(kept.get(k), List.copyOf(pts)));
        }
        return new Layout(boxes, routes, widest + 2 * MARGIN, depth == 0 ? 2 * MARGIN : y(depth - 1) + NODE_HEIGHT + MARGIN);
    }

    private static double y(int layer) {
        return MARGIN + layer * (NODE_HEIGHT + LAYER_GAP);
    }

    /**
     * Longest distance from a root, by Kahn's topological order. A cycle (which a lineage cannot have) does not hang:
     * its nodes go one layer below everything else.
     */
    static Map<String, Integer> layers(List<String> nodes, List<Edge> edges) {
        Map<String, Integer> indegree = new LinkedHashMap<>();
        Map<String, List<String>> children = new HashMap<>();
        nodes.forEach(n -> indegree.put(n, 0));
        for (Edge e : edges) {
            if (indegree.containsKey(e.from()) && indegree.containsKey(e.to()) && !e.from().equals(e.to())) {
                indegree.merge(e.to(), 1, Integer::sum);
                children.computeIfAbsent(e.from(), k -> new ArrayList<>()).add(e.to());
            }
        }
        Map<String, Integer> layer = new LinkedHashMap<>();
        Deque<String> ready = new ArrayDeque<>();
        indegree.forEach((n, d) -> {
            if (d == 0) {
                ready.add(n);
                layer.put(n, 0);
            }
        });
        Map<String, Integer> left = new HashMap<>(indegree);
        while (!ready.isEmpty()) {
            String n = ready.removeFirst();
            for (String c : children.getOrDefault(n, List.of())) {
                layer.merge(c, layer.get(n) + 1, Math::max);
                if (left.merge(c, -1, Integer::sum) == 0) {
                    ready.add(c);
                }
            }
        }
        int below = layer.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String n : nodes) {
            out.put(n, left.get(n) == 0 ? layer.get(n) : below);
        }
        return out;
    }

    private static void sortByBarycentre(List<Integer> slots, List<List<Integer>> neighbours, double[] pos) {
        Map<Integer, Double> key = new HashMap<>();
        for (int s : slots) {
            List<Integer> ns = neighbours.get(s);
            key.put(s, ns.isEmpty() ? pos[s] : ns.stream().mapToDouble(n -> pos[n]).average().orElseThrow());
        }
        slots.sort(Comparator.comparingDouble(key::get)); // stable: ties keep their order
    }

    /** Each slot's position as a fraction of its layer, so layers of different sizes compare. */
    private static void positions(List<List<Integer>> order, double[] pos) {
        for (List<Integer> l : order) {
            for (int i = 0; i < l.size(); i++) {
                pos[l.get(i)] = (i + 0.5) / l.size();
            }
        }
    }
}
