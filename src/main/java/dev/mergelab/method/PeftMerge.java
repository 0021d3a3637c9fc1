package dev.mergelab.method;

import dev.mergelab.method.kernel.MethodKernels;
import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.SignConsensus;
import dev.mergelab.method.kernel.Sparsifier;
import dev.mergelab.tensor.FloatKernels;

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
 *
 * <p>Chunked: magnitude pruning needs 2 statistics passes (radix selection of each model's top-k cut,
 * O(models × histogram) state; usually 1, see {@link dev.mergelab.method.kernel.RadixSelect#guess});
 * the others are element-wise given the position-keyed DARE masks. Passes are shared among threads
 * through copies over the sparsifiers' observers and appliers.
 */
public final class PeftMerge implements ChunkedMethod {

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
    public ChunkedMerge plan(TensorMerge job) {
        String name = spec.name();
        job.requireBase(name);
        long[] shape = Shapes.commonShape(name, job);
        int b = job.baseIndex();
        int[] others = job.otherIndices();
        int n = others.length;
        if (n == 0) {
            return RowMerge.copyOf(shape, b);
        }
        double density = prune == Prune.NONE ? 1 : job.global().number("density");
        if (prune != Prune.NONE && density > 1) {
            job.warn(name + ": density " + density + " > 1 keeps everything"); // the same line for every tensor: printed once
        }
        if (prune == Prune.RANDOM && density == 0) {
            throw MergeLabException.input(name + ": density 0 drops every element of " + job.tensorName()
                    + " and the 1/density rescale is undefined", "use a density in (0, 1]");
        }
        long numel = Shapes.numel(shape);
        Sparsifier[] thin = new Sparsifier[n];
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) job.inputs().get(others[i]).params().number("weight");
            thin[i] = switch (prune) {
                case NONE -> Sparsifier.identity();
                case MAGNITUDE -> Sparsifier.magnitude(numel, density, null);
                case RANDOM -> Sparsifier.bernoulliDivide(job.randomKey(others[i]), density, true);
            };
        }
        SignConsensus.Vote vote = elect
                ? SignConsensus.Vote.parse(job.global().string("majority_sign_method")) : null;
        return new Chunk(shape, b, others, thin, w, vote);
    }

    /** Per chunk: τ_i = θ_i − θ_b in scratch rows, pruned by its sparsifier, then combined. */
    private static final class Chunk extends PrunedTaskVectors {
        private final float[] w;
        private final SignConsensus.Vote vote;
        private final float[][] terms;
        private final float[] termWeights;

        private final long[] shape;

        Chunk(long[] shape, int base, int[] others, Sparsifier[] thin, float[] w, SignConsensus.Vote vote) {
            super(shape, base, others, thin);
            this.shape = shape;
            this.w = w;
            this.vote = vote;
            this.terms = new float[others.length + 1][];
            this.termWeights = new float[others.length + 1];
            termWeights[0] = 1f;
            System.arraycopy(w, 0, termWeights, 1, w.length);
        }

        @Override
        PrunedTaskVectors withSparsifiers(Sparsifier[] others) {
            return new Chunk(shape, base, models, others, w, vote);
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = prunedDeltas(rowStart, rows, inputs);
            float[][] tau = delta;
            float[] b = inputs[base];
            if (vote == null) {
                terms[0] = b;
                System.arraycopy(tau, 0, terms, 1, tau.length);
                FloatKernels.weightedSum(terms, termWeights, 0, out, 0, n);
                return;
            }
            // s = sign of Σ τ_i (or Σ sign τ_i); out = θ_b + Σ_{agreeing} w_i τ_i / max(#agreeing, 1).
            MethodKernels.countElectedMix(tau, w, vote == SignConsensus.Vote.COUNT, b, out, n);
        }
    }
}
