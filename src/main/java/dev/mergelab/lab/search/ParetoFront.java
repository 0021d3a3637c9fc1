package dev.mergelab.lab.search;

import java.util.ArrayList;
import java.util.List;

/**
 * The non-dominated evaluations: none is at least as good on every objective (weight x value, higher is better) and
 * strictly better on one. Duplicates of a recipe count once (the first step), and the front is in step order.
 */
final class ParetoFront {
    private ParetoFront() {
    }

    static List<EvalRecord> of(List<EvalRecord> records, double[] weights) {
        List<EvalRecord> unique = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (EvalRecord r : records) {
            if (seen.add(r.recipe()) && allFinite(r.values())) {
                unique.add(r);
            }
        }
        List<EvalRecord> front = new ArrayList<>();
        for (EvalRecord a : unique) {
            boolean dominated = false;
            for (EvalRecord b : unique) {
                if (b != a && dominates(objectives(b, weights), objectives(a, weights))) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) {
                front.add(a);
            }
        }
        return front;
    }

    static double[] objectives(EvalRecord r, double[] weights) {
        double[] v = r.values();
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = weights[i] * v[i];
        }
        return o;
    }

    static boolean dominates(double[] a, double[] b) {
        boolean strictly = false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] < b[i]) {
                return false;
            }
            strictly |= a[i] > b[i];
        }
        return strictly;
    }

    private static boolean allFinite(double[] v) {
        for (double d : v) {
            if (!Double.isFinite(d)) {
                return false;
            }
        }
        return true;
    }
}
