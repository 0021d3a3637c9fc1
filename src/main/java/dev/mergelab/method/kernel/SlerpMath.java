package dev.mergelab.method.kernel;

/** Spherical interpolation coefficients and the combine step shared by slerp and nuslerp. */
public final class SlerpMath {

    private SlerpMath() {
    }

    /**
     * out[lane] = a·v0 + b·v1 with (a, b) = (sin((1−t)Ω)/sin Ω, sin(tΩ)/sin Ω), or the lerp weights
     * (1−t, t) when {@code lerp}.
     */
    public static void combine(float[] v0, float[] v1, float[] out, int off, int stride, int len,
                               double t, double omega, boolean lerp) {
        float a;
        float b;
        if (lerp) {
            a = (float) (1 - t);
            b = (float) t;
        } else {
            double sin = Math.sin(omega);
            a = (float) (Math.sin((1 - t) * omega) / sin);
            b = (float) (Math.sin(t * omega) / sin);
        }
        for (int k = 0, j = off; k < len; k++, j += stride) {
            out[j] = a * v0[j] + b * v1[j];
        }
    }
}
