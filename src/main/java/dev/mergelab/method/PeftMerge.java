package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.SignConsensus;
import dev.mergelab.method.kernel.Sparsify;
import dev.mergelab.method.kernel.Vec;

import java.util.ArrayList;
import java.util.List;

/**
 * PEFT's {@code merge_utils} combinations (METHODS.md §3) on task tensors τ_i = θ_i − θ_b, written back
 * as θ_b + τ*:
 * <pre>
 *   prune:     τ'_i = top-k(τ_i) | Bernoulli(density)·τ_i / density | τ_i
 *   linear:    τ* = Σ w_i τ'_i
 *   ties:      s = sign Σ τ'_i (or Σ sign τ'_i),  m_i = [sign τ'_i = s],  τ* = Σ m_i w_i τ'_i / max(Σ m_i, 1)
 * </pre>
 * Unlike mergekit: signs are elected before weighting, the divisor is a count, density is global, each
 * DARE element is divided by exactly density, and there is no λ or normalisation.
 */
public final class PeftMerge implements MergeMethod {

    enum Prune { NONE, MAGNITUDE, RANDOM }

    private static final String TIES = "TIES-Merging: Resolving Interference When Merging Models";
    private static final String TIES_URL = "https://arxiv.org/abs/2306.01708";
    private static final String DARE = "Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch";
    private static final String DARE_URL = "https://arxiv.org/abs/2311.03099";

    //                 name                    prune            elect
    public static final List<MergeMethod> ALL = List.of(
            new PeftMerge("peft_task_arithmetic", Prune.NONE, false, "PEFT task arithmetic: Σ w_i τ_i",
                    "Editing Models with Task Arithmetic", "https://arxiv.org/abs/2212.04089"),
            new PeftMerge("peft_magnitude_prune", Prune.MAGNITUDE, false, "PEFT: top-k magnitude pruning, then Σ w_i τ'_i",
                    TIES, TIES_URL),
            new PeftMerge("peft_ties", Prune.MAGNITUDE, true,
                    "PEFT TIES: top-k pruning, unweighted sign election, mean over agreeing models", TIES, TIES_URL),
            new PeftMerge("peft_dare_linear", Prune.RANDOM, false, "PEFT DARE: random drop with 1/density, then Σ w_i τ'_i",
                    DARE, DARE_URL),
            new PeftMerge("peft_dare_ties", Prune.RANDOM, true,
                    "PEFT DARE-TIES: random drop with 1/density, then the PEFT TIES election", DARE, DARE_URL));

    private final MethodSpec spec;
    private final Prune prune;
    private final boolean elect;

    private PeftMerge(String name, Prune prune, boolean elect, String description, String paper, String url) {
        this.prune = prune;
        this.elect = elect;
        List<ParamSpec> params = new ArrayList<>();
        params.add(ParamSpec.number("weight", Scope.PER_MODEL, null, "this model's weight", null));
        if (prune != Prune.NONE) {
            params.add(ParamSpec.number("density", Scope.GLOBAL, null, "fraction of each task tensor kept",
                    ParamSpec.atLeast(0)));
        }
        if (elect) {
            params.add(ParamSpec.string("majority_sign_method", Scope.GLOBAL, "total",
                    "vote by summed values (total) or by sign counts (frequency)", "total", "frequency"));
        }
        this.spec = new MethodSpec(name, description, paper, url, BaseRequirement.REQUIRED, params,
                prune == Prune.RANDOM, prune == Prune.NONE);
    }

    @Override
    public MethodSpec spec() {
        return spec;
    }

    @Override
    public float[] merge(TensorMerge job) {
        String name = spec.name();
        job.requireBase(name);
        Shapes.Aligned in = Shapes.aligned(name, job);
        float[] base = in.data()[job.baseIndex()];
        int[] others = job.otherIndices();
        int n = others.length;
        if (n == 0) {
            return base.clone();
        }
        double density = prune == Prune.NONE ? 1 : job.global().number("density");
        if (prune != Prune.NONE && density > 1) {
            job.warn(name + ": density " + density + " > 1 at " + job.tensorName() + " keeps everything");
        }
        if (prune == Prune.RANDOM && density == 0) {
            throw MergeLabException.input(name + ": density 0 drops every element of " + job.tensorName()
                    + " and the 1/density rescale is undefined", "use a density in (0, 1]");
        }
        float[][] tau = new float[n][];
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            TensorInput x = job.inputs().get(others[i]);
            w[i] = (float) x.params().number("weight");
            float[] t = Vec.sub(in.data()[others[i]], base);
            tau[i] = switch (prune) {
                case NONE -> t;
                case MAGNITUDE -> Sparsify.magnitude(t, density, null);
                case RANDOM -> Sparsify.bernoulliDivide(t, density, true, job.random(others[i]));
            };
        }
        SignConsensus.Vote vote = elect
                ? SignConsensus.Vote.parse(job.global().string("majority_sign_method")) : null;
        float[] out = new float[base.length];
        for (int j = 0; j < out.length; j++) {
            float mix = 0;
            if (elect) {
                int s = SignConsensus.elect(tau, j, vote);
                int agreeing = 0;
                for (int i = 0; i < n; i++) {
                    if (SignConsensus.agrees(tau[i][j], s)) {
                        mix += w[i] * tau[i][j];
                        agreeing++;
                    }
                }
                mix /= Math.max(agreeing, 1);
            } else {
                for (int i = 0; i < n; i++) {
                    mix += w[i] * tau[i][j];
                }
            }
            out[j] = base[j] + mix;
        }
        return out;
    }
}
