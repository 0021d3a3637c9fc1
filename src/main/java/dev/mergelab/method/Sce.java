package dev.mergelab.method;

import dev.mergelab.method.kernel.Selection;
import dev.mergelab.method.kernel.SignConsensus;
import dev.mergelab.method.kernel.Vec;

import java.util.List;

/**
 * sce (METHODS.md §2.11): Select the positions where the models disagree most, Calculate per-model
 * weights from the selected task vectors' energy, Erase minority signs.
 * <pre>
 *   τ_i = θ_i − θ_b;  keep the int(nnz(v)·κ) positions of largest variance v over models (κ &lt; 1)
 *   m_i = [sign τ_i = sign Σ τ]          (unweighted vote)
 *   c_i = mean(τ_i²) / Σ_j mean(τ_j²)     (1/N when that sum &lt; 1e-6)
 *   out = θ_b + Σ c_i m_i τ_i / max(Σ c_i m_i, 1e-6)
 * </pre>
 */
public final class Sce implements MergeMethod {

    private static final MethodSpec SPEC = new MethodSpec("sce",
            "Variance-selected, energy-weighted, sign-elected task vectors",
            "FuseChat: Knowledge Fusion of Chat Models", "https://arxiv.org/abs/2408.07990",
            BaseRequirement.REQUIRED,
            List.of(ParamSpec.number("select_topk", Scope.GLOBAL, 1.0,
                            "fraction of positions (by variance across models) kept", (ParamSpec.Check) v -> {
                                double d = (Double) v;
                                return d >= 0 && d <= 1 ? null : "must be in [0, 1]";
                            }),
                    ParamSpec.bool("int8_mask", Scope.GLOBAL, false, "upstream memory option; no numeric effect")),
            false, false);

    @Override
    public MethodSpec spec() {
        return SPEC;
    }

    @Override
    public float[] merge(TensorMerge job) {
        job.requireBase(SPEC.name());
        Shapes.Aligned in = Shapes.aligned(SPEC.name(), job);
        float[] base = in.data()[job.baseIndex()];
        int[] others = job.otherIndices();
        int n = others.length;
        if (n == 0) {
            return base.clone();
        }
        float[][] tau = new float[n][];
        for (int i = 0; i < n; i++) {
            tau[i] = Vec.sub(in.data()[others[i]], base);
        }
        double kappa = job.global().number("select_topk");
        job.global().bool("int8_mask");
        if (kappa < 1) {
            select(tau, kappa);
        }

        double[] energy = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            energy[i] = Vec.sumSquares(tau[i]) / tau[i].length;
            total += energy[i];
        }
        float[] c = new float[n];
        for (int i = 0; i < n; i++) {
            c[i] = (float) (total < 1e-6 ? 1.0 / n : energy[i] / total);
        }

        float[] out = new float[base.length];
        for (int j = 0; j < out.length; j++) {
            int s = SignConsensus.elect(tau, j, SignConsensus.Vote.SUM);
            float num = 0;
            float den = 0;
            for (int i = 0; i < n; i++) {
                if (SignConsensus.agrees(tau[i][j], s)) {
                    num += c[i] * tau[i][j];
                    den += c[i];
                }
            }
            out[j] = base[j] + num / Math.max(den, 1e-6f);
        }
        return out;
    }

    /** Zeroes every τ outside the top-k positions by population variance across models (in place). */
    private static void select(float[][] tau, double kappa) {
        int n = tau.length;
        int len = tau[0].length;
        float[] variance = new float[len];
        int nonzero = 0;
        for (int j = 0; j < len; j++) {
            double mean = 0;
            for (float[] t : tau) {
                mean += t[j];
            }
            mean /= n;
            double ss = 0;
            for (float[] t : tau) {
                double dev = t[j] - mean;
                ss += dev * dev;
            }
            variance[j] = (float) (ss / n);
            if (variance[j] != 0) {
                nonzero++;
            }
        }
        // Upstream forms count·κ in float32 before truncating.
        int k = kappa <= 0 ? 0 : (int) ((float) nonzero * (float) kappa);
        boolean[] keep = Selection.topKMask(variance, k);
        for (int j = 0; j < len; j++) {
            if (!keep[j]) {
                for (float[] t : tau) {
                    t[j] = 0;
                }
            }
        }
    }
}
