package dev.mergelab.method.kernel;

/**
 * Vector kernels over float32 data with float64 accumulation. The strided forms walk one lane of a
 * tensor (see {@link Lanes}): elements {@code off, off+stride, ...} ({@code len} of them).
 */
public final class Vec {

    private Vec() {
    }

    /** a − b, element-wise in float32 (how upstream forms task vectors). */
    public static float[] sub(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int j = 0; j < out.length; j++) {
            out[j] = a[j] - b[j];
        }
        return out;
    }

    public static double dot(float[] a, float[] b) {
        return dot(a, b, 0, 1, a.length);
    }

    public static double dot(float[] a, float[] b, int off, int stride, int len) {
        double s = 0;
        for (int k = 0, j = off; k < len; k++, j += stride) {
            s += (double) a[j] * b[j];
        }
        return s;
    }

    public static double sumSquares(float[] a) {
        return dot(a, a);
    }

    public static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    public static double norm(float[] a, int off, int stride, int len) {
        return Math.sqrt(dot(a, a, off, stride, len));
    }

    public static double l1(float[] a) {
        double s = 0;
        for (float v : a) {
            s += Math.abs(v);
        }
        return s;
    }

    public static double linf(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** out += w·x in float32. */
    public static void axpy(float w, float[] x, float[] out) {
        for (int j = 0; j < out.length; j++) {
            out[j] += w * x[j];
        }
    }

    /** x·s as a new array. */
    public static float[] scaled(float[] x, float s) {
        float[] out = new float[x.length];
        for (int j = 0; j < out.length; j++) {
            out[j] = x[j] * s;
        }
        return out;
    }
}
