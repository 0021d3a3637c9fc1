package dev.mergelab.tensor;

/**
 * The reference kernels. The reductions are written in the blocked, 32-lane form that
 * {@link FloatKernels} specifies (not as one running sum) so that the vector implementation can match
 * them bit for bit on any vector width.
 */
final class ScalarKernelSupport implements KernelSupport {

    static final ScalarKernelSupport INSTANCE = new ScalarKernelSupport();

    private static final int L = REDUCTION_LANES;
    private static final int MASK = L - 1;

    private ScalarKernelSupport() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void axpy(float w, float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Math.fma(w, x[xOff + i], out[outOff + i]);
        }
    }

    @Override
    public void weightedSum(float[][] xs, float[] weights, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float acc = weights[0] * xs[0][xOff + i];
            for (int k = 1; k < xs.length; k++) {
                acc = Math.fma(weights[k], xs[k][xOff + i], acc);
            }
            out[outOff + i] = acc;
        }
    }

    @Override
    public void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] * s;
        }
    }

    @Override
    public void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] - b[bOff + i];
        }
    }

    @Override
    public double dot(float[] x, int xOff, float[] y, int yOff, int n) {
        double[] lanes = new double[L];
        float[] s = new float[L];
        for (int b = 0; b < n; b += REDUCTION_BLOCK) {
            int len = Math.min(REDUCTION_BLOCK, n - b);
            java.util.Arrays.fill(s, 0f);
            for (int i = 0; i < len; i++) {
                s[i & MASK] = Math.fma(x[xOff + b + i], y[yOff + b + i], s[i & MASK]);
            }
            fold(lanes, s);
        }
        return total(lanes);
    }

    @Override
    public double sumSquares(float[] x, int xOff, int n) {
        double[] lanes = new double[L];
        float[] s = new float[L];
        for (int b = 0; b < n; b += REDUCTION_BLOCK) {
            int len = Math.min(REDUCTION_BLOCK, n - b);
            java.util.Arrays.fill(s, 0f);
            for (int i = 0; i < len; i++) {
                float v = x[xOff + b + i];
                s[i & MASK] = Math.fma(v, v, s[i & MASK]);
            }
            fold(lanes, s);
        }
        return total(lanes);
    }

    @Override
    public double l1Norm(float[] x, int xOff, int n) {
        double[] lanes = new double[L];
        float[] s = new float[L];
        for (int b = 0; b < n; b += REDUCTION_BLOCK) {
            int len = Math.min(REDUCTION_BLOCK, n - b);
            java.util.Arrays.fill(s, 0f);
            for (int i = 0; i < len; i++) {
                s[i & MASK] += Math.abs(x[xOff + b + i]);
            }
            fold(lanes, s);
        }
        return total(lanes);
    }

    /** Adds each float lane sum to its double lane (the same order the vector code uses). */
    static void fold(double[] lanes, float[] s) {
        for (int j = 0; j < L; j++) {
            lanes[j] += s[j];
        }
    }

    /** The final fold, lane 0 to lane 31 in order. */
    static double total(double[] lanes) {
        double t = 0;
        for (int j = 0; j < L; j++) {
            t += lanes[j];
        }
        return t;
    }

    @Override
    public float maxAbs(float[] x, int xOff, int n) {
        float m = 0f;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(x[xOff + i]));
        }
        return Float.isNaN(m) ? Float.NaN : m;
    }

    @Override
    public void magnitudeKeys(float[] x, int xOff, int[] keys, int keysOff, int n) {
        for (int i = 0; i < n; i++) {
            keys[keysOff + i] = Float.floatToRawIntBits(x[xOff + i]) & 0x7FFFFFFF;
        }
    }

    @Override
    public int countMagnitudeAbove(float[] x, int xOff, int n, int key) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            if ((Float.floatToRawIntBits(x[xOff + i]) & 0x7FFFFFFF) > key) {
                c++;
            }
        }
        return c;
    }

    @Override
    public boolean allFinite(float[] x, int n) {
        return allFiniteFrom(x, 0, n);
    }

    static boolean allFiniteFrom(float[] x, int from, int n) {
        for (int i = from; i < n; i++) {
            if (!Float.isFinite(x[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void splitMix32(long seed, long first, int[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = FloatKernels.splitMix32(seed, first + i);
        }
    }

    @Override
    public int countBothNonZero(float[] x, float[] y, int n) {
        return countBothNonZeroTail(x, y, 0, n);
    }

    /** The reference loop, also the vector implementation's tail. */
    static int countBothNonZeroTail(float[] x, float[] y, int from, int n) {
        int c = 0;
        for (int k = from; k < n; k++) {
            c += x[k] != 0f && y[k] != 0f ? 1 : 0;
        }
        return c;
    }

    @Override
    public int countSignConflicts(float[] x, float[] y, int n) {
        return countSignConflictsTail(x, y, 0, n);
    }

    /** The reference loop, also the vector implementation's tail. */
    static int countSignConflictsTail(float[] x, float[] y, int from, int n) {
        int c = 0;
        for (int k = from; k < n; k++) {
            boolean opposite = (Float.floatToRawIntBits(x[k]) ^ Float.floatToRawIntBits(y[k])) < 0;
            c += x[k] != 0f && y[k] != 0f && opposite ? 1 : 0;
        }
        return c;
    }
}
