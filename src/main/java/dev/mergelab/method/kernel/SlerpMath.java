package dev.mergelab.method.kernel;

/** Spherical interpolation coefficients shared by slerp and nuslerp. */
public final class SlerpMath {

    private SlerpMath() {
    }

    /**
     * (a, b) with out = a·v0 + b·v1: (sin((1−t)Ω)/sin Ω, sin(tΩ)/sin Ω), or the lerp weights (1−t, t)
     * when {@code lerp}; rounded once to float32.
     */
    public static float[] coefficients(double t, double omega, boolean lerp) {
        if (lerp) {
            return new float[]{(float) (1 - t), (float) t};
        }
        double sin = Math.sin(omega);
        return new float[]{(float) (Math.sin((1 - t) * omega) / sin), (float) (Math.sin(t * omega) / sin)};
    }
}
