package dev.mergelab.lab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The layered DAG layout: layers by longest path, edges downward, long edges bent around layers, no overlaps, fewer crossings. */
class DagLayoutTest {

    static DagLayout.Edge e(String from, String to) {
        return new DagLayout.Edge(from, to);
    }

    @Test
    void aTwoStageMergeIsLaidOutInThreeLayersWithTheLongEdgeBent() {
        // child <- m1 <- {base, ft1, ft2}; child <- ft1 directly (spans two layers)
        List<String> nodes = List.of("child", "m1", "ft1", "base", "ft2");
        List<DagLayout.Edge> edges = List.of(e("m1", "child"), e("ft1", "child"), e("base", "m1"), e("ft1", "m1"), e("ft2", "m1"));
        DagLayout.Layout l = DagLayout.of(nodes, edges);
        assertEquals(Map.of("base", 0, "ft1", 0, "ft2", 0, "m1", 1, "child", 2), DagLayout.layers(nodes, edges));
        for (String n : nodes) {
            assertEquals(DagLayout.MARGIN + DagLayout.layers(nodes, edges).get(n) * (DagLayout.NODE_HEIGHT + DagLayout.LAYER_GAP), l.boxes().get(n).y());
        }
        for (DagLayout.Route r : l.routes()) {
            DagLayout.Box from = l.boxes().get(r.edge().from());
            DagLayout.Box to = l.boxes().get(r.edge().to());
            assertEquals(from.y() + DagLayout.NODE_HEIGHT, r.points().getFirst()[1], "starts at the parent's bottom");
            assertEquals(to.y(), r.points().getLast()[1], "ends at the child's top");
            assertEquals(to.layer() - from.layer() + 1, r.points().size(), r.edge() + ": one bend per crossed layer");
            for (int i = 1; i < r.points().size(); i++) {
                assertTrue(r.points().get(i)[1] > r.points().get(i - 1)[1], "every edge runs downward");
            }
        }
        // the bend of ft1 -> child lies in m1's layer, beside m1's box, not through it
        DagLayout.Route longEdge = l.routes().get(1);
        double bendX = longEdge.points().get(1)[0];
        DagLayout.Box m1 = l.boxes().get("m1");
        assertTrue(bendX < m1.x() || bendX > m1.x() + DagLayout.NODE_WIDTH, "bend at " + bendX + " crosses m1 at " + m1.x());
        assertNoOverlap(l);
        assertEquals(drawn(l), drawn(DagLayout.of(nodes, edges)), "deterministic");
    }

    @Test
    void barycentreOrderingUncrossesEdges() {
        // a1 -> b2 and a2 -> b1 cross in input order; the sweeps put b2 under a1
        List<String> nodes = List.of("a1", "a2", "b1", "b2");
        DagLayout.Layout l = DagLayout.of(nodes, List.of(e("a1", "b2"), e("a2", "b1")));
        assertTrue(l.boxes().get("a1").x() < l.boxes().get("a2").x());
        assertTrue(l.boxes().get("b2").x() < l.boxes().get("b1").x(), "b2 is placed under its parent a1");
        assertNoOverlap(l);
    }

    @Test
    void aSingleNodeSelfLoopsDanglingEdgesAndCyclesDoNotBreakIt() {
        DagLayout.Layout one = DagLayout.of(List.of("x"), List.of(e("x", "x"), e("x", "missing")));
        assertEquals(1, one.boxes().size());
        assertEquals(List.of(), one.routes());
        assertEquals(DagLayout.NODE_WIDTH + 2 * DagLayout.MARGIN, one.width());
        Map<String, Integer> cyc = DagLayout.layers(List.of("r", "a", "b"), List.of(e("r", "a"), e("a", "b"), e("b", "a")));
        assertEquals(0, cyc.get("r"));
        assertTrue(cyc.get("a") > 0 && cyc.get("b") > 0);
    }

    @Test
    void theLabelPointIsHalfwayAlongTheRoute() {
        DagLayout.Route r = new DagLayout.Route(e("a", "b"), List.of(new double[] {0, 0}, new double[] {0, 10}, new double[] {30, 10}));
        assertEquals(10, r.middle()[0], 1e-9); // 10 down, then 10 of the 30 across
        assertEquals(10, r.middle()[1], 1e-9);
    }

    static String drawn(DagLayout.Layout l) {
        StringBuilder sb = new StringBuilder(l.boxes().toString());
        l.routes().forEach(r -> sb.append(r.edge()).append(java.util.Arrays.deepToString(r.points().toArray())));
        return sb.append(l.width()).append(' ').append(l.height()).toString();
    }

    static void assertNoOverlap(DagLayout.Layout l) {
        List<DagLayout.Box> boxes = new ArrayList<>(l.boxes().values());
        boxes.sort(Comparator.comparingDouble(DagLayout.Box::x));
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                DagLayout.Box a = boxes.get(i);
                DagLayout.Box b = boxes.get(j);
                if (a.layer() == b.layer()) {
                    assertTrue(b.x() >= a.x() + DagLayout.NODE_WIDTH, a + " overlaps " + b);
                }
            }
            assertTrue(boxes.get(i).x() >= 0 && boxes.get(i).x() + DagLayout.NODE_WIDTH <= l.width());
        }
    }
}
