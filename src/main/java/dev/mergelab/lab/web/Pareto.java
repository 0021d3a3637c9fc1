package dev.mergelab.lab.web;

import java.util.ArrayList;
import java.util.List;

/** The Pareto front of a set of points: the ones no other point dominates. */
final class Pareto {

    private Pareto() {
    }

    /**
     * Indices of the non-dominated points, in input order. A point dominates another when it is at least as good on
     * every objective and better on one; {@code maximise} says per objective which way is better. Points with a
     * missing (null) or NaN value take no part: they are neither on the front nor dominate anything. Equal points
     * are all on the front. Quadratic: a search's few thousand evaluations at most.
     */
    static List<Integer> front(List<List<Double>> points, List<Boolean> maximise) {
        List<Integer> valid = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            if (complete(points.get(i), maximise.size())) {
                valid.add(i);
            }
        }
        List<Integer> front = new ArrayList<>();
        for (int i : valid) {
            boolean dominated = false;
            for (int j : valid) {
                if (j != i && dominates(points.get(j), points.get(i), maximise)) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                front.add(i);
            }
        }
        return front;
    }

    static boolean dominates(List<Double> a, List<Double> b, List<Boolean> maximise) {
        boolean better = false;
        for (int k = 0; k < maximise.size(); k++) {
            double x = maximise.get(k) ? a.get(k) : -a.get(k);
            double y = maximise.get(k) ? b.get(k) : -b.get(k);
            if (x < y) {
                return false;
            }
            better |= x > y;
        }
        return better;
    }

    private static boolean complete(List<Double> p, int n) {
        if (p.size() < n) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if (p.get(k) == null || p.get(k).isNaN()) {
                return false;
            }
        }
        return true;
    }
}
