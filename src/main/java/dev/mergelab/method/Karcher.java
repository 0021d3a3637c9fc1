package dev.mergelab.method;

import dev.mergelab.method.kernel.Vec;

import java.util.ArrayList;
import java.util.List;

/**
 * karcher (METHODS.md §2.12): the Riemannian (Karcher) mean of the inputs' directions on the unit
 * sphere, by fixed-point iteration in the tangent space, scaled by the mean norm:
 * <pre>
 *   T = Σ ā_i (φ_i / sin φ_i)(û_i − cos φ_i·u),   u ← cos‖T‖·u + sin‖T‖·T/‖T‖
 *   out = (Σ a_i ‖θ_i‖)·u,   a_i = 1/N
 * </pre>
 */
public final class Karcher implements MergeMethod {

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
    public float[] merge(TensorMerge job) {
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        float[][] x = in.data();
        if (x.length == 1) {
            return x[0].clone();
        }
        long maxIter = job.global().integer("max_iter");
        double tol = job.global().number("tol");
        int len = in.numel();
        int count = x.length;

        // Scale from every input with its original weight 1/N, zero vectors included.
        double meanNorm = 0;
        List<float[]> units = new ArrayList<>();
        for (float[] xi : x) {
            double norm = Vec.norm(xi);
            meanNorm += norm / count;
            if (norm > tol) {
                units.add(Vec.scaled(xi, (float) (1 / norm)));
            }
        }
        if (units.isEmpty()) {
            return new float[len];
        }
        double a = 1.0 / units.size();

        float[] u = new float[len];
        for (float[] ui : units) {
            Vec.axpy((float) a, ui, u);
        }
        double un = Vec.norm(u);
        u = un < tol ? units.getFirst().clone() : Vec.scaled(u, (float) (1 / un));

        float[] tangent = new float[len];
        for (long iter = 0; iter < maxIter; iter++) {
            java.util.Arrays.fill(tangent, 0f);
            for (float[] ui : units) {
                double cos = Math.clamp(Vec.dot(u, ui), -1.0, 1.0);
                double phi = Math.acos(cos);
                if (phi < tol) {
                    continue;
                }
                float coef = (float) (a * phi / Math.sin(phi));
                float c = (float) cos;
                for (int j = 0; j < len; j++) {
                    tangent[j] += coef * (ui[j] - c * u[j]);
                }
            }
            double tn = Vec.norm(tangent);
            if (tn < tol) {
                break;
            }
            float cs = (float) Math.cos(tn);
            float sn = (float) (Math.sin(tn) / tn);
            for (int j = 0; j < len; j++) {
                u[j] = cs * u[j] + sn * tangent[j];
            }
            double norm = Vec.norm(u);
            if (norm > tol) {
                float inv = (float) (1 / norm);
                for (int j = 0; j < len; j++) {
                    u[j] *= inv;
                }
            }
        }
        float scale = (float) meanNorm;
        for (int j = 0; j < len; j++) {
            u[j] *= scale;
        }
        return u;
    }
}
