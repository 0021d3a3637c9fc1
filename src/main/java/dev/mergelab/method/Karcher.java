package dev.mergelab.method;

import dev.mergelab.method.kernel.Gram;
import dev.mergelab.tensor.FloatKernels;

import java.util.List;

/**
 * karcher (METHODS.md §2.12): the Riemannian (Karcher) mean of the inputs' directions on the unit
 * sphere, by fixed-point iteration in the tangent space, scaled by the mean norm:
 * <pre>
 *   T = Σ ā_i (φ_i / sin φ_i)(û_i − cos φ_i·u),   u ← cos‖T‖·u + sin‖T‖·T/‖T‖
 *   out = (Σ a_i ‖θ_i‖)·u,   a_i = 1/N
 * </pre>
 *
 * <p>Chunked: every iterate u, every tangent T and the result are linear combinations of the inputs, and
 * every quantity the iteration reads (‖θ_i‖, ⟨u, û_i⟩, ‖T‖, ‖u‖) is a quadratic form in the Gram matrix
 * G_ik = ⟨θ_i, θ_k⟩. So one statistics pass accumulates G (O(N²) state), the iteration runs on the
 * N coefficients of u, and the combine pass writes Σ c_i θ_i.
 */
public final class Karcher implements ChunkedMethod {

    private static final MethodSpec SPEC = new MethodSpec("karcher",
            "Riemannian mean of the inputs on the sphere, scaled by their mean norm",
            "Riemannian center of mass and mollifier smoothing", "https://doi.org/10.1002/cpa.3160300502",
            BaseRequirement.NOT_SPECIAL,
            List.of(ParamSpec.integer("max_iter", Scope.GLOBAL, 10L, "iterations of the fixed-point update",
                            v -> (Long) v >= 0 ? null : "must be >= 0"),
                    ParamSpec.number("tol", Scope.GLOBAL, 1e-5, "convergence and degeneracy tolerance",
                            ParamSpec.greaterThan(0))),
            false, false);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        long[] shape = Shapes.commonShape(SPEC.name(), job);
        if (job.inputs().size() == 1) {
            return RowMerge.copyOf(shape, 0);
        }
        long maxIter = job.global().integer("max_iter");
        double tol = job.global().number("tol");
        int count = job.inputs().size();
        return new RowMerge(shape) {
            private final double[][] gram = new double[count][count];
            private final float[] weights = new float[count];

            @Override
            public int statisticPasses() {
                return 1;
            }

            @Override
            public void observe(int pass, long rowStart, int rows, float[][] inputs) {
                Gram.accumulate(inputs, rows * rowLength, gram);
            }

            @Override
            public void endPass(int pass) {
                Gram.symmetrize(gram);
                double[] u = iterate(gram, maxIter, tol);
                for (int i = 0; i < count; i++) {
                    weights[i] = (float) u[i];
                }
            }

            @Override
            public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
                FloatKernels.weightedSum(inputs, weights, 0, out, 0, rows * rowLength);
            }
        };
    }

    /** The coefficients of the result (Σ a_i ‖θ_i‖)·u over the inputs, from their Gram matrix. */
    static double[] iterate(double[][] g, long maxIter, double tol) {
        int count = g.length;
        double[] norm = new double[count];
        double meanNorm = 0;   // every input with its original weight 1/N, zero vectors included
        int valid = 0;
        int first = -1;
        for (int i = 0; i < count; i++) {
            norm[i] = Math.sqrt(Math.max(0, g[i][i]));
            meanNorm += norm[i] / count;
            if (norm[i] > tol) {
                valid++;
                first = first < 0 ? i : first;
            }
        }
        double[] u = new double[count];
        if (valid == 0) {
            return u;
        }
        double a = 1.0 / valid;
        for (int i = 0; i < count; i++) {
            u[i] = norm[i] > tol ? a / norm[i] : 0;   // Σ ā_i û_i with û_i = θ_i/‖θ_i‖
        }
        double un = Gram.norm(g, u);
        if (un < tol) {
            java.util.Arrays.fill(u, 0);
            u[first] = 1 / norm[first];
        } else {
            scale(u, 1 / un);
        }
        double[] tangent = new double[count];
        for (long iter = 0; iter < maxIter; iter++) {
            java.util.Arrays.fill(tangent, 0);
            double[] gu = Gram.times(g, u);
            for (int i = 0; i < count; i++) {
                if (!(norm[i] > tol)) {
                    continue;
                }
                double cos = Math.clamp(gu[i] / norm[i], -1.0, 1.0);   // ⟨u, û_i⟩
                double phi = Math.acos(cos);
                if (phi < tol) {
                    continue;
                }
                double coef = a * phi / Math.sin(phi);
                tangent[i] += coef / norm[i];                      // + coef·û_i
                for (int k = 0; k < count; k++) {
                    tangent[k] -= coef * cos * u[k];               // − coef·cos φ_i·u
                }
            }
            double tn = Gram.norm(g, tangent);
            if (tn < tol) {
                break;
            }
            double cs = Math.cos(tn);
            double sn = Math.sin(tn) / tn;
            for (int k = 0; k < count; k++) {
                u[k] = cs * u[k] + sn * tangent[k];
            }
            double n = Gram.norm(g, u);
            if (n > tol) {
                scale(u, 1 / n);
            }
        }
        scale(u, meanNorm);
        return u;
    }

    private static void scale(double[] x, double s) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= s;
        }
    }
}
