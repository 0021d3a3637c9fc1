package dev.mergelab.lab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Pareto front: minimised and maximised objectives, ties, missing values, against a brute-force definition. */
class ParetoTest {

    static List<Double> p(Double... v) {
        return Arrays.asList(v);
    }

    @Test
    void theFrontOfTwoMinimisedObjectivesIsTheStaircase() {
        List<List<Double>> pts = new ArrayList<>();
        for (double[] o : WebLab.OBJECTIVES) {
            pts.add(p(o[0], o[1]));
        }
        assertEquals(WebLab.FRONT, Pareto.front(pts, List.of(false, false)));
    }

    @Test
    void directionsTiesAndMissingValues() {
        List<List<Double>> pts = List.of(p(1.0, 5.0), p(2.0, 5.0), p(2.0, 5.0), p(0.5, 9.0), p(null, 1.0), p(Double.NaN, 0.0));
        // maximise the first, minimise the second: (2,5) twice (equal points are both kept), (0.5, 9) is beaten by both
        assertEquals(List.of(1, 2), Pareto.front(pts, List.of(true, false)));
        // minimise both: (1,5) and (0.5,9)
        assertEquals(List.of(0, 3), Pareto.front(pts, List.of(false, false)));
        assertTrue(Pareto.dominates(p(2.0, 5.0), p(1.0, 5.0), List.of(true, false)));
        assertFalse(Pareto.dominates(p(2.0, 5.0), p(2.0, 5.0), List.of(true, false)));
    }

    @Test
    void agreesWithTheDefinitionOnRandomPoints() {
        Random r = new Random(42);
        for (int round = 0; round < 50; round++) {
            int n = 1 + r.nextInt(40);
            int k = 2 + r.nextInt(2);
            List<Boolean> max = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                max.add(r.nextBoolean());
            }
            List<List<Double>> pts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                List<Double> q = new ArrayList<>();
                for (int j = 0; j < k; j++) {
                    q.add((double) r.nextInt(6));
                }
                pts.add(q);
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                boolean beaten = false;
                for (int j = 0; j < n && !beaten; j++) {
                    boolean noWorse = true;
                    boolean better = false;
                    for (int d = 0; d < k; d++) {
                        double a = pts.get(j).get(d);
                        double b = pts.get(i).get(d);
                        noWorse &= max.get(d) ? a >= b : a <= b;
                        better |= max.get(d) ? a > b : a < b;
                    }
                    beaten = noWorse && better;
                }
                if (!beaten) {
                    expected.add(i);
                }
            }
            assertEquals(expected, Pareto.front(pts, max));
        }
    }
}
