package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.Vec;

import java.util.List;

/**
 * multislerp (METHODS.md §2.15): a one-step weighted spherical mean of N ≥ 2 flattened tensors
 * (relative to the base when there is one):
 * <pre>
 *   û_i = v_i/(‖v_i‖+ε),  m = normalise(Σ w_i û_i),  T = Σ w_i (û_i − ⟨û_i,m⟩m),  L = ‖T‖ + ε
 *   out = (m·cos L + T·sin L / L)·Σ w_i ‖v_i‖
 * </pre>
 */
public final class MultiSlerp implements MergeMethod {

    private static final MethodSpec SPEC = new MethodSpec("multislerp",
            "Weighted spherical mean of two or more models, optionally relative to a base",
            "", "",
            BaseRequirement.OPTIONAL,
            List.of(ParamSpec.number("weight", Scope.PER_MODEL, null, "this model's weight", null),
                    ParamSpec.bool("normalize_weights", Scope.GLOBAL, true, "divide the weights by their sum"),
                    ParamSpec.number("eps", Scope.GLOBAL, 1e-8, "guard against zero norms", ParamSpec.atLeast(0))),
            false, false);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public float[] merge(TensorMerge job) {
        int[] others = job.otherIndices();
        if (job.inputs().size() == 1) {
            return job.inputs().getFirst().data().clone();
        }
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        if (others.length == 1) {
            // A lone model is returned as is, not relative to the base.
            return in.data()[others[0]].clone();
        }
        if (others.length == 0) {
            throw MergeLabException.input("multislerp: " + job.tensorName() + " has no model besides the base",
                    "add at least two models");
        }
        int n = others.length;
        double[] w = new double[n];
        double sumW = 0;
        for (int i = 0; i < n; i++) {
            w[i] = job.inputs().get(others[i]).params().number("weight");
            sumW += w[i];
        }
        if (job.global().bool("normalize_weights")) {
            if (sumW == 0) {
                throw MergeLabException.input("multislerp: weights sum to 0 for " + job.tensorName()
                        + " with normalize_weights", "change the weights or set normalize_weights: false");
            }
            for (int i = 0; i < n; i++) {
                w[i] /= sumW;
            }
        }
        double eps = job.global().number("eps");
        int b = job.baseIndex();
        float[] base = b < 0 ? null : in.data()[b];
        int len = in.numel();

        float[][] v = new float[n][];
        float[][] unit = new float[n][];
        double scale = 0;
        for (int i = 0; i < n; i++) {
            v[i] = base == null ? in.data()[others[i]] : Vec.sub(in.data()[others[i]], base);
            double r = Vec.norm(v[i]);
            unit[i] = Vec.scaled(v[i], (float) (1 / (r + eps)));
            scale += w[i] * r;
        }

        float[] m = new float[len];
        for (int i = 0; i < n; i++) {
            Vec.axpy((float) w[i], unit[i], m);
        }
        double mNorm = Vec.norm(m);
        float[] out = new float[len];
        if (mNorm < eps) {
            if (n != 2) {
                throw MergeLabException.input("multislerp: the weighted directions of " + job.tensorName()
                        + " cancel out (mean norm " + mNorm + ")", "change the weights");
            }
            for (int i = 0; i < n; i++) {
                Vec.axpy((float) w[i], v[i], out);
            }
        } else {
            float inv = (float) (1 / mNorm);
            for (int j = 0; j < len; j++) {
                m[j] *= inv;
            }
            float[] tangent = new float[len];
            for (int i = 0; i < n; i++) {
                float proj = (float) Vec.dot(unit[i], m);
                float wi = (float) w[i];
                for (int j = 0; j < len; j++) {
                    tangent[j] += wi * (unit[i][j] - proj * m[j]);
                }
            }
            double l = Vec.norm(tangent) + eps;
            float a = (float) (Math.cos(l) * scale);
            float c = (float) (Math.sin(l) / l * scale);
            for (int j = 0; j < len; j++) {
                out[j] = a * m[j] + c * tangent[j];
            }
        }
        if (base != null) {
            for (int j = 0; j < len; j++) {
                out[j] += base[j];
            }
        }
        return out;
    }
}
