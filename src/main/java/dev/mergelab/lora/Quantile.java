package dev.mergelab.lora;

import java.util.Arrays;

/** torch.quantile's default ("linear") rule over the concatenation of two arrays. */
final class Quantile {

    private Quantile() {
    }

    /** With v the ascending values and p = q·(N−1): v[⌊p⌋] + (p − ⌊p⌋)·(v[⌈p⌉] − v[⌊p⌋]). */
    static float linear(float[] x, float[] y, double q) {
        float[] v = new float[x.length + y.length];
        System.arraycopy(x, 0, v, 0, x.length);
        System.arraycopy(y, 0, v, x.length, y.length);
        Arrays.sort(v);
        double p = q * (v.length - 1);
        int lo = (int) Math.floor(p);
        int hi = (int) Math.ceil(p);
        return (float) (v[lo] + (p - lo) * ((double) v[hi] - v[lo]));
    }
}
