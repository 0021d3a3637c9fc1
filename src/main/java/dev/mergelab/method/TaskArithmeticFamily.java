package dev.mergelab.method;

import dev.mergelab.method.kernel.MethodKernels;
import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.Norm;
import dev.mergelab.method.kernel.Sparsifier;
import dev.mergelab.tensor.FloatKernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * mergekit's generalized task arithmetic (METHODS.md §2.2–2.9): one pipeline, eight methods that differ
 * only in the row of this table.
 *
 * <pre>
 *   δ'_i = rescale(sparsify(θ_i − θ_b, density_i))          per model
 *   W_i  = w_i·δ'_i
 *   consensus:  s = sign Σ W_i,  m_i = [sign W_i = s],  mix = Σ m_i W_i,  D = Σ m_i w_i  (0 → 1)
 *   otherwise:  mix = Σ W_i,  D = Σ w_i  (|D| &lt; 1e-8 → 1)
 *   out  = θ_b + λ·(normalize ? mix / D : mix)
 * </pre>
 *
 * <p>Chunked: the statistics passes are those of the sparsifiers ({@link Sparsifier}), run side by side
 * for all models: none for task_arithmetic and un-rescaled dare; 1 for rescaled dare and della (both L1
 * norms in one pass, since their masks are functions of position); 2 for ties and breadcrumbs (radix
 * selection of the cut points; usually 1, when the first chunk's guess of the cut buckets holds), one
 * more with rescale. State is O(models × histogram), plus the remembered masks of rescaled dare and
 * della (a bit per element, up to 2^28 elements). della on tensors of rank ≥ 3 ranks along dim 1
 * across rows, so it needs the whole tensor ({@link #wholeTensorOnly}). The engine shares every pass
 * among threads through copies over the sparsifiers' observers and appliers, with the exceptions
 * {@link Sparsifier} names; the output bytes never depend on the thread count.
 */
public final class TaskArithmeticFamily implements ChunkedMethod {

    /** Which §4 primitive thins each task vector. */
    enum Thinning { NONE, MAGNITUDE, BERNOULLI, MAGNITUDE_OUTLIERS, DELLA_MAGPRUNE }

    private static final String TIES = "TIES-Merging: Resolving Interference When Merging Models";
    private static final String TIES_URL = "https://arxiv.org/abs/2306.01708";
    private static final String DARE = "Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch";
    private static final String DARE_URL = "https://arxiv.org/abs/2311.03099";
    private static final String CRUMBS = "Model Breadcrumbs: Scaling Multi-Task Model Merging with Sparse Masks";
    private static final String CRUMBS_URL = "https://arxiv.org/abs/2312.06795";
    private static final String DELLA = "DELLA-Merging: Reducing Interference in Model Merging through Magnitude-Based Sampling";
    private static final String DELLA_URL = "https://arxiv.org/abs/2406.11617";

    //                 name                sparsifier                     consensus normalize rescale
    public static final List<MergeMethod> ALL = List.of(
            of("task_arithmetic", Thinning.NONE, false, false, false,
                    "Adds the weighted task vectors to the base",
                    "Editing Models with Task Arithmetic", "https://arxiv.org/abs/2212.04089"),
            of("ties", Thinning.MAGNITUDE, true, true, false,
                    "Top-k magnitude pruning, sign election, disjoint mean of the agreeing task vectors", TIES, TIES_URL),
            of("dare_ties", Thinning.BERNOULLI, true, false, true,
                    "Random drop with L1 rescale, then the TIES sign election", DARE, DARE_URL),
            of("dare_linear", Thinning.BERNOULLI, false, false, true,
                    "Random drop with L1 rescale, then task arithmetic", DARE, DARE_URL),
            of("breadcrumbs", Thinning.MAGNITUDE_OUTLIERS, false, false, false,
                    "Drops the smallest and the largest-magnitude entries, then task arithmetic", CRUMBS, CRUMBS_URL),
            of("breadcrumbs_ties", Thinning.MAGNITUDE_OUTLIERS, true, false, false,
                    "Breadcrumbs pruning followed by the TIES sign election", CRUMBS, CRUMBS_URL),
            of("della", Thinning.DELLA_MAGPRUNE, true, true, true,
                    "Magnitude-ranked random drop with L1 rescale, then the TIES sign election", DELLA, DELLA_URL),
            of("della_linear", Thinning.DELLA_MAGPRUNE, false, false, true,
                    "Magnitude-ranked random drop with L1 rescale, then task arithmetic", DELLA, DELLA_URL));

    private final MethodSpec spec;
    private final Thinning sparsifier;
    private final boolean consensus;

    private TaskArithmeticFamily(MethodSpec spec, Thinning sparsifier, boolean consensus) {
        this.spec = spec;
        this.sparsifier = sparsifier;
        this.consensus = consensus;
    }

    private static TaskArithmeticFamily of(String name, Thinning sparsifier, boolean consensus, boolean normalize,
                                           boolean rescale, String description, String paper, String url) {
        List<ParamSpec> params = new ArrayList<>(List.of(
                ParamSpec.number("weight", Scope.PER_MODEL, null, "scale of this model's task vector", null),
                ParamSpec.number("density", Scope.PER_MODEL, 1.0, "fraction of the task vector kept",
                        ParamSpec.atLeast(0))));
        if (sparsifier == Thinning.MAGNITUDE_OUTLIERS) {
            params.add(ParamSpec.number("gamma", Scope.PER_MODEL, 0.01, "fraction of largest-magnitude entries dropped",
                    ParamSpec.atLeast(0)));
        }
        if (sparsifier == Thinning.DELLA_MAGPRUNE) {
            params.add(ParamSpec.number("epsilon", Scope.PER_MODEL, 0.15,
                    "keep probabilities span density ± epsilon by magnitude rank", ParamSpec.atLeast(0)));
        }
        params.addAll(List.of(
                ParamSpec.bool("normalize", Scope.GLOBAL, normalize, "divide by the sum of (agreeing) weights"),
                ParamSpec.bool("rescale", Scope.GLOBAL, rescale, "match each pruned task vector's L1 norm to the original"),
                ParamSpec.number("lambda", Scope.GLOBAL, 1.0, "scale of the merged task vector", null),
                ParamSpec.bool("int8_mask", Scope.GLOBAL, false, "upstream memory option; no numeric effect")));
        boolean random = sparsifier == Thinning.BERNOULLI || sparsifier == Thinning.DELLA_MAGPRUNE;
        MethodSpec spec = new MethodSpec(name, description, paper, url, BaseRequirement.REQUIRED, params, random,
                sparsifier == Thinning.NONE);
        return new TaskArithmeticFamily(spec, sparsifier, consensus);
    }

    @Override
    public MethodSpec spec() {
        return spec;
    }

    @Override
    public long[] outputShape(TensorMerge job) {
        return job.requireBase(spec.name()).shape().clone();
    }

    @Override
    public boolean wholeTensorOnly(TensorMerge header) {
        // della ranks along dim 1; from rank 3 on such a lane spans several rows (METHODS.md §4.4).
        return sparsifier == Thinning.DELLA_MAGPRUNE && header.requireBase(spec.name()).shape().length > 2;
    }

    @Override
    public ChunkedMerge plan(TensorMerge job) {
        String name = spec.name();
        TensorInput base = job.requireBase(name);
        long[] shape = base.shape().clone();
        long n = Shapes.numel(shape);
        Params g = job.global();
        boolean normalize = g.bool("normalize");
        Norm rescale = g.bool("rescale") ? Norm.L1 : null;
        float lambda = (float) g.number("lambda");
        g.bool("int8_mask"); // validated, deliberately unused

        List<Integer> models = new ArrayList<>();
        List<Sparsifier> thin = new ArrayList<>();
        List<Float> weights = new ArrayList<>();
        boolean warnedNTop = false;
        for (int i : job.otherIndices()) {
            TensorInput x = job.inputs().get(i);
            if (!alignsToBase(job, base, x)) {
                continue;
            }
            Params p = x.params();
            float w = (float) p.number("weight");
            double density = p.number("density");
            if (density > 1) {
                // No tensor name: the line is the same for every tensor, so it prints once per model and value.
                job.warn(name + ": density " + density + " > 1 for model " + x.model() + " keeps all of its task vector");
            }
            thin.add(switch (sparsifier) {
                case NONE -> Sparsifier.identity();
                case MAGNITUDE -> {
                    if (density < 1 && Sparsifier.keepCount(density, n) == 0) {
                        throw MergeLabException.input(name + ": density " + density + " keeps no element of "
                                        + job.tensorName() + " (n=" + n + ") for model " + x.model(),
                                "raise density to at least 1/n or use a method without top-k pruning");
                    }
                    yield Sparsifier.magnitude(n, density, rescale);
                }
                case BERNOULLI -> Sparsifier.bernoulli(n, job.randomKey(i), density, rescale);
                case MAGNITUDE_OUTLIERS -> {
                    double gamma = p.number("gamma");
                    if (density < 1 && Sparsifier.keepCount(gamma, n) == 0 && !warnedNTop) {
                        warnedNTop = true;
                        job.warn(name + ": gamma " + gamma + " removes no top outliers of " + job.tensorName()
                                + " (n=" + n + "); keeping the " + Sparsifier.keepCount(density, n)
                                + " largest entries (upstream would drop the whole task vector)");
                    }
                    yield Sparsifier.magnitudeOutliers(n, density, gamma, rescale);
                }
                case DELLA_MAGPRUNE -> {
                    double eps = p.number("epsilon");
                    if (density > 0 && density < 1 && !(density - eps > 0 && density + eps < 1)) {
                        throw MergeLabException.input(name + ": epsilon " + eps + " with density " + density
                                        + " puts keep probabilities outside (0,1) for model " + x.model()
                                        + " at " + job.tensorName(),
                                "need 0 < density - epsilon and density + epsilon < 1");
                    }
                    yield Sparsifier.della(shape, job.randomKey(i), density, eps, rescale);
                }
            });
            models.add(i);
            weights.add(w);
        }
        if (models.isEmpty()) {
            return RowMerge.copyOf(shape, job.baseIndex());
        }
        float[] w = new float[weights.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = weights.get(i);
        }
        return new Chunk(shape, job.baseIndex(), models.stream().mapToInt(Integer::intValue).toArray(),
                thin.toArray(new Sparsifier[0]), w, normalize, lambda);
    }

    /**
     * Steps 1–6 per chunk: each model's task vector δ_i = θ_i − θ_b is formed in a scratch row block and
     * thinned by its sparsifier (whose statistics passes ran over the same blocks), then mixed.
     */
    private final class Chunk extends PrunedTaskVectors {
        private final long[] shape;
        private final float[] w;
        private final boolean normalize;
        private final float lambda;
        /** Without consensus: θ_b then the δ'_i, weighted 1 and w_i·λ/D (one fused weighted sum). */
        private final float[][] terms;
        private final float[] termWeights;

        Chunk(long[] shape, int base, int[] models, Sparsifier[] thin, float[] w,
              boolean normalize, float lambda) {
            super(shape, base, models, thin);
            this.shape = shape;
            this.w = w;
            this.normalize = normalize;
            this.lambda = lambda;
            this.terms = new float[models.length + 1][];
            this.termWeights = new float[models.length + 1];
            float sumW = 0;
            for (float wi : w) {
                sumW += wi;
            }
            float divisor = normalize ? (Math.abs(sumW) < 1e-8f ? 1f : sumW) : 1f;
            termWeights[0] = 1f;
            for (int i = 0; i < w.length; i++) {
                termWeights[i + 1] = w[i] * lambda / divisor;
            }
        }

        @Override
        PrunedTaskVectors withSparsifiers(Sparsifier[] appliers) {
            return new Chunk(shape, base, models, appliers, w, normalize, lambda);
        }

        @Override
        public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
            int n = prunedDeltas(rowStart, rows, inputs);
            float[] b = inputs[base];
            if (!consensus) {
                terms[0] = b;
                System.arraycopy(delta, 0, terms, 1, delta.length);
                FloatKernels.weightedSum(terms, termWeights, 0, out, 0, n);
                return;
            }
            // m_i = [sign W_i = s] with s = +1 where Σ W_i ≥ 0; mix = Σ m_i W_i (÷ Σ m_i w_i if normalize).
            MethodKernels.electedMix(delta, w, b, lambda, normalize, out, n);
        }
    }

    /**
     * Whether model x takes part at the base's shape: an embedding is cut to the base's top-left block
     * (by the engine, or {@link Chunking#merge}); any other mismatch skips the model with a warning
     * (upstream's behaviour), and its chunk slot is then ignored.
     */
    private boolean alignsToBase(TensorMerge job, TensorInput base, TensorInput x) {
        if (Arrays.equals(x.shape(), base.shape())) {
            return true;
        }
        boolean fits = x.shape().length == base.shape().length;
        for (int dim = 0; fits && dim < base.shape().length; dim++) {
            fits = x.shape()[dim] >= base.shape()[dim];
        }
        if (job.isEmbed() && fits) {
            job.warn(spec.name() + ": using the top-left " + Arrays.toString(base.shape()) + " block of "
                    + x.model() + ":" + job.tensorName() + " " + Arrays.toString(x.shape()));
            return true;
        }
        if (job.isEmbed()) {
            throw MergeLabException.input(spec.name() + ": " + x.model() + ":" + job.tensorName() + " "
                            + Arrays.toString(x.shape()) + " is smaller than the base's " + Arrays.toString(base.shape()),
                    "use the model with the smaller vocabulary as base_model");
        }
        job.warn(spec.name() + ": skipping " + x.model() + ":" + job.tensorName() + " due to size mismatch "
                + Arrays.toString(x.shape()) + " vs base " + Arrays.toString(base.shape()));
        return false;
    }
}
