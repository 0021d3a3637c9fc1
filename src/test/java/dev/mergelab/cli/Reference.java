package dev.mergelab.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Independent float64 implementations of METHODS.md formulas for whole tensors, written for the example
 * tests from the specification text (not from the method layer). Values that depend on how equal
 * magnitudes at a top-k cut are broken (the spec leaves tie-breaking free) are reported as alternatives.
 */
final class Reference {

    private Reference() {
    }

    /** Expected values: {@code value}, or at an index of {@code alternatives} any of those values. */
    record Want(long[] shape, double[] value, Map<Integer, double[]> alternatives, boolean exact) {
        static Want of(long[] shape, double[] value) {
            return new Want(shape, value, Map.of(), false);
        }
    }

    /** Tensors of one name from several models, cut to a common top-left block. */
    record Cut(long[] shape, List<float[]> data) {
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** The top-left block of a row-major tensor. */
    static float[] block(float[] v, long[] shape, long[] to) {
        if (Arrays.equals(shape, to)) {
            return v;
        }
        if (to.length == 1) {
            return Arrays.copyOf(v, (int) to[0]);
        }
        int rows = (int) to[0];
        int cols = (int) to[1];
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(v, (int) (r * shape[1]), out, r * cols, cols);
        }
        return out;
    }

    /** Gradient interpolation at t (METHODS.md §5). */
    static double gradient(double t, double... g) {
        double s = t * (g.length - 1);
        int i0 = (int) Math.floor(s);
        int i1 = Math.min(g.length - 1, i0 + 1);
        double f = s - i0;
        return (1 - f) * g[i0] + f * g[i1];
    }

    static double[] linear(List<float[]> xs, double[] w, boolean normalize) {
        int n = xs.getFirst().length;
        double sw = 0;
        for (double x : w) {
            sw += x;
        }
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < xs.size(); i++) {
                s += w[i] * xs.get(i)[j];
            }
            out[j] = normalize ? s / sw : s;
        }
        return out;
    }

    static double[] slerp(float[] v0, float[] v1, double t) {
        double n0 = 0;
        double n1 = 0;
        for (int j = 0; j < v0.length; j++) {
            n0 += (double) v0[j] * v0[j];
            n1 += (double) v1[j] * v1[j];
        }
        n0 = Math.sqrt(n0);
        n1 = Math.sqrt(n1);
        double d = 0;
        for (int j = 0; j < v0.length; j++) {
            d += (n0 > 1e-8 ? v0[j] / n0 : v0[j]) * (n1 > 1e-8 ? v1[j] / n1 : v1[j]);
        }
        double[] out = new double[v0.length];
        if (Math.abs(d) > 0.9995) {
            for (int j = 0; j < out.length; j++) {
                out[j] = (1 - t) * v0[j] + t * v1[j];
            }
            return out;
        }
        double omega = Math.acos(d);
        double s = Math.sin(omega);
        double a = Math.sin((1 - t) * omega) / s;
        double b = Math.sin(t * omega) / s;
        for (int j = 0; j < out.length; j++) {
            out[j] = a * v0[j] + b * v1[j];
        }
        return out;
    }

    static double[] nearswap(float[] base, float[] x, double t) {
        double[] out = new double[base.length];
        for (int j = 0; j < out.length; j++) {
            double w = t / Math.max(Math.abs((double) base[j] - x[j]), 1e-6);
            w = Math.min(1, Math.max(0, w));
            out[j] = w * x[j] + (1 - w) * base[j];
        }
        return out;
    }

    /** model_stock (METHODS.md §2.10); rows of length {@code rowLen} when filter-wise, else one vector. */
    static double[] modelStock(float[] base, List<float[]> xs, int rowLen) {
        int n = base.length;
        int nm = xs.size();
        double[] out = new double[n];
        for (int start = 0; start < n; start += rowLen) {
            int end = Math.min(n, start + rowLen);
            double sum = 0;
            int pairs = 0;
            for (int a = 0; a < nm; a++) {
                for (int b = a + 1; b < nm; b++) {
                    double dot = 0;
                    double na = 0;
                    double nb = 0;
                    for (int j = start; j < end; j++) {
                        double oa = (double) xs.get(a)[j] - base[j];
                        double ob = (double) xs.get(b)[j] - base[j];
                        dot += oa * ob;
                        na += oa * oa;
                        nb += ob * ob;
                    }
                    double c = dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-6);
                    sum += Math.max(-1, Math.min(1, c));
                    pairs++;
                }
            }
            double c = sum / pairs;
            double t = nm * c / (1 + (nm - 1) * c);
            for (int j = start; j < end; j++) {
                double mean = 0;
                for (float[] x : xs) {
                    mean += x[j];
                }
                mean /= nm;
                out[j] = t * mean + (1 - t) * base[j];
            }
        }
        return out;
    }

    static final byte DROP = 0;
    static final byte KEEP = 1;
    static final byte TIE = 2;

    /**
     * Which entries of a task vector survive when the entries ranked [from, to) in ascending |x| are kept:
     * KEEP or DROP, or TIE for an entry whose equal-magnitude group straddles a cut.
     */
    static byte[] keepRanks(float[] delta, long from, long to) {
        int n = delta.length;
        float[] mags = new float[n];
        for (int j = 0; j < n; j++) {
            mags[j] = Math.abs(delta[j]);
        }
        float[] sorted = mags.clone();
        Arrays.sort(sorted);
        byte[] out = new byte[n];
        for (int j = 0; j < n; j++) {
            int lo = lowerBound(sorted, mags[j]);
            int hi = lowerBound(sorted, Math.nextUp(mags[j]));
            if (lo >= from && hi <= to) {
                out[j] = KEEP;
            } else if (hi <= from || lo >= to) {
                out[j] = DROP;
            } else {
                out[j] = TIE;
            }
        }
        return out;
    }

    private static int lowerBound(float[] a, float v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Magnitude top-k (§4.1): k = int(density·n); density ≥ 1 keeps everything. */
    static byte[] magnitude(float[] delta, double density) {
        int n = delta.length;
        if (density >= 1) {
            byte[] all = new byte[n];
            Arrays.fill(all, KEEP);
            return all;
        }
        long k = (long) (density * (double) n);
        return keepRanks(delta, n - k, n);
    }

    /** magnitude_outliers (§4.3) with MergeLab's n_top = 0 rule (§2.6). */
    static byte[] outliers(float[] delta, double density, double gamma) {
        int n = delta.length;
        if (density >= 1) {
            return magnitude(delta, density);
        }
        long target = (long) (density * (double) n);
        long top = (long) (gamma * (double) n);
        long bot = n - target - top;
        if (bot < 0) {
            top += bot;
            bot = 0;
        }
        return keepRanks(delta, bot, n - top);
    }

    /**
     * The task-arithmetic pipeline without rescale (§2.2): selected, weighted task vectors, optional sum
     * sign consensus on the weighted vectors, optional division by the (agreeing) weights, λ.
     */
    static Want taskArithmetic(long[] shape, float[] base, List<float[]> deltas, double[] w, List<byte[]> keep, boolean consensus,
            boolean normalize, double lambda) {
        int n = base.length;
        double[] out = new double[n];
        Map<Integer, double[]> alternatives = new LinkedHashMap<>();
        int m = deltas.size();
        for (int j = 0; j < n; j++) {
            List<Integer> tied = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                if (keep.get(i)[j] == TIE) {
                    tied.add(i);
                }
            }
            int combos = 1 << tied.size();
            List<Double> values = new ArrayList<>();
            for (int c = 0; c < combos; c++) {
                double[] wd = new double[m];
                for (int i = 0; i < m; i++) {
                    boolean kept = keep.get(i)[j] == KEEP || (keep.get(i)[j] == TIE && (c >> tied.indexOf(i) & 1) == 1);
                    wd[i] = kept ? w[i] * deltas.get(i)[j] : 0;
                }
                double sum = 0;
                double abs = 0;
                for (double x : wd) {
                    sum += x;
                    abs += Math.abs(x);
                }
                if (consensus && abs > 0 && Math.abs(sum) <= 1e-6 * abs) {
                    // The elected sign of a sum that is zero up to rounding depends on the order of float32
                    // operations (bf16 task vectors in simple ratios hit this): either sign is right.
                    values.add(base[j] + lambda * mix(wd, w, 1, normalize));
                    values.add(base[j] + lambda * mix(wd, w, -1, normalize));
                } else {
                    values.add(base[j] + lambda * mix(wd, w, consensus ? (sum >= 0 ? 1 : -1) : 0, normalize));
                }
            }
            out[j] = values.getFirst();
            if (values.size() > 1) {
                alternatives.put(j, values.stream().mapToDouble(Double::doubleValue).toArray());
            }
        }
        return new Want(shape, out, alternatives, false);
    }

    /** The combined task vector entry; {@code sign} is the elected sign, or 0 without consensus. */
    private static double mix(double[] wd, double[] w, double sign, boolean normalize) {
        double mix = 0;
        double div = 0;
        if (sign != 0) {
            for (int i = 0; i < wd.length; i++) {
                if (Math.signum(wd[i]) == sign) {
                    mix += wd[i];
                    div += w[i];
                }
            }
            if (div == 0) {
                div = 1;
            }
        } else {
            for (int i = 0; i < wd.length; i++) {
                mix += wd[i];
                div += w[i];
            }
            if (Math.abs(div) < 1e-8) {
                div = 1;
            }
        }
        return normalize ? mix / div : mix;
    }

    static float[] delta(float[] x, float[] base) {
        float[] d = new float[base.length];
        for (int j = 0; j < d.length; j++) {
            d[j] = x[j] - base[j];
        }
        return d;
    }
}
