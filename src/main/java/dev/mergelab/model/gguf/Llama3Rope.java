package dev.mergelab.model.gguf;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;

/**
 * llama3 RoPE scaling recovered from {@code rope_freqs.weight}, the per-frequency divisors the converter computed
 * from rope_scaling (1 for short wavelengths, {@code factor} for long ones, {@code 1/((1-s)/factor + s)} with
 * {@code s = old_ctx/wavelen·1/(high-low) - low/(high-low)} between). GGUF keeps the divisors, not the parameters:
 * {@code factor} is the largest divisor, and two blended divisors give {@code old_ctx/(high-low)} and
 * {@code low/(high-low)}. Those two ratios (with factor) fix every divisor, so taking {@code low_freq_factor = 1}
 * (every Llama 3.x release) gives parameters that rebuild the same frequencies, although {@code low}, {@code high}
 * and {@code original_max_position_embeddings} may each differ from the source config when its low factor was not 1.
 * With fewer than two blended divisors Meta's defaults (8192, 1, 4) are tried. The candidate is accepted only when
 * it rebuilds every stored divisor to within float32 rounding; otherwise the file is refused, rather than run with
 * other frequencies.
 */
final class Llama3Rope {

    private static final double TOLERANCE = 1e-5;

    private Llama3Rope() {
    }

    static ObjectNode recover(float[] freqs, double theta, int dim, String where) {
        int n = Math.min(freqs.length, dim / 2);
        double factor = 0;
        for (int i = 0; i < n; i++) {
            factor = Math.max(factor, freqs[i]);
        }
        if (factor <= 1 + TOLERANCE) {
            return null; // every divisor 1: no scaling to rebuild
        }
        int first = -1, last = -1;
        for (int i = 0; i < n; i++) {
            if (freqs[i] > 1 + TOLERANCE && freqs[i] < factor * (1 - TOLERANCE)) {
                if (first < 0) {
                    first = i;
                }
                last = i;
            }
        }
        double[][] candidates;
        if (first >= 0 && last > first) {
            // s = a / wavelen - b through the first and last blended points; low = 1 gives old = a / b, high = 1 + 1 / b
            double s1 = smooth(freqs[first], factor), s2 = smooth(freqs[last], factor);
            double w1 = wavelen(theta, first, dim), w2 = wavelen(theta, last, dim);
            double a = (s1 - s2) / (1 / w1 - 1 / w2);
            double b = a / w1 - s1;
            candidates = b > 0 ? new double[][] {{Math.rint(a / b), 1, 1 + 1 / b}, {8192, 1, 4}} : new double[][] {{8192, 1, 4}};
        } else {
            candidates = new double[][] {{8192, 1, 4}};
        }
        for (double[] c : candidates) {
            double high = Math.rint(c[2] * 1e6) / 1e6;
            if (rebuilds(freqs, n, theta, dim, factor, c[0], c[1], high)) {
                ObjectNode r = JsonNodeFactory.instance.objectNode();
                r.put("rope_type", "llama3");
                r.put("factor", Double.parseDouble(Float.toString((float) factor)));
                r.put("low_freq_factor", c[1]);
                r.put("high_freq_factor", high);
                r.put("original_max_position_embeddings", (long) c[0]);
                return r;
            }
        }
        throw MergeLabException.input(where + ": rope_freqs.weight is not llama3 RoPE scaling MergeLab can turn back into a config",
                "export the model from its Hugging Face folder instead");
    }

    private static double smooth(double f, double factor) {
        return (1 / f - 1 / factor) / (1 - 1 / factor);
    }

    private static double wavelen(double theta, int i, int dim) {
        return 2 * Math.PI * Math.pow(theta, 2.0 * i / dim);
    }

    /** Whether (old, low, high) give every stored divisor, as Transformers' llama3 rule computes them. */
    private static boolean rebuilds(float[] freqs, int n, double theta, int dim, double factor, double old, double low, double high) {
        double lowWavelen = old / low, highWavelen = old / high;
        for (int i = 0; i < n; i++) {
            double w = wavelen(theta, i, dim);
            double want;
            if (w < highWavelen) {
                want = 1;
            } else if (w > lowWavelen) {
                want = factor;
            } else {
                double s = (old / w - low) / (high - low);
                want = 1 / ((1 - s) / factor + s);
            }
            if (Math.abs(want - freqs[i]) > TOLERANCE * Math.max(1, Math.abs(want))) {
                return false;
            }
        }
        return true;
    }
}
