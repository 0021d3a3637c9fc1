package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.Norm;
import dev.mergelab.method.kernel.SignConsensus;
import dev.mergelab.method.kernel.Sparsify;
import dev.mergelab.method.kernel.Vec;

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
 */
public final class TaskArithmeticFamily implements MergeMethod {

    /** Which §4 primitive thins each task vector. */
    enum Sparsifier { NONE, MAGNITUDE, BERNOULLI, MAGNITUDE_OUTLIERS, DELLA_MAGPRUNE }

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
            of("task_arithmetic", Sparsifier.NONE, false, false, false,
                    "Adds the weighted task vectors to the base",
                    "Editing Models with Task Arithmetic", "https://arxiv.org/abs/2212.04089"),
            of("ties", Sparsifier.MAGNITUDE, true, true, false,
                    "Top-k magnitude pruning, sign election, disjoint mean of the agreeing task vectors", TIES, TIES_URL),
            of("dare_ties", Sparsifier.BERNOULLI, true, false, true,
                    "Random drop with L1 rescale, then the TIES sign election", DARE, DARE_URL),
            of("dare_linear", Sparsifier.BERNOULLI, false, false, true,
                    "Random drop with L1 rescale, then task arithmetic", DARE, DARE_URL),
            of("breadcrumbs", Sparsifier.MAGNITUDE_OUTLIERS, false, false, false,
                    "Drops the smallest and the largest-magnitude entries, then task arithmetic", CRUMBS, CRUMBS_URL),
            of("breadcrumbs_ties", Sparsifier.MAGNITUDE_OUTLIERS, true, false, false,
                    "Breadcrumbs pruning followed by the TIES sign election", CRUMBS, CRUMBS_URL),
            of("della", Sparsifier.DELLA_MAGPRUNE, true, true, true,
                    "Magnitude-ranked random drop with L1 rescale, then the TIES sign election", DELLA, DELLA_URL),
            of("della_linear", Sparsifier.DELLA_MAGPRUNE, false, false, true,
                    "Magnitude-ranked random drop with L1 rescale, then task arithmetic", DELLA, DELLA_URL));

    private final MethodSpec spec;
    private final Sparsifier sparsifier;
    private final boolean consensus;

    private TaskArithmeticFamily(MethodSpec spec, Sparsifier sparsifier, boolean consensus) {
        this.spec = spec;
        this.sparsifier = sparsifier;
        this.consensus = consensus;
    }

    private static TaskArithmeticFamily of(String name, Sparsifier sparsifier, boolean consensus, boolean normalize,
                                           boolean rescale, String description, String paper, String url) {
        List<ParamSpec> params = new ArrayList<>(List.of(
                ParamSpec.number("weight", Scope.PER_MODEL, null, "scale of this model's task vector", null),
                ParamSpec.number("density", Scope.PER_MODEL, 1.0, "fraction of the task vector kept",
                        ParamSpec.atLeast(0))));
        if (sparsifier == Sparsifier.MAGNITUDE_OUTLIERS) {
            params.add(ParamSpec.number("gamma", Scope.PER_MODEL, 0.01, "fraction of largest-magnitude entries dropped",
                    ParamSpec.atLeast(0)));
        }
        if (sparsifier == Sparsifier.DELLA_MAGPRUNE) {
            params.add(ParamSpec.number("epsilon", Scope.PER_MODEL, 0.15,
                    "keep probabilities span density ± epsilon by magnitude rank", ParamSpec.atLeast(0)));
        }
        params.addAll(List.of(
                ParamSpec.bool("normalize", Scope.GLOBAL, normalize, "divide by the sum of (agreeing) weights"),
                ParamSpec.bool("rescale", Scope.GLOBAL, rescale, "match each pruned task vector's L1 norm to the original"),
                ParamSpec.number("lambda", Scope.GLOBAL, 1.0, "scale of the merged task vector", null),
                ParamSpec.bool("int8_mask", Scope.GLOBAL, false, "upstream memory option; no numeric effect")));
        boolean random = sparsifier == Sparsifier.BERNOULLI || sparsifier == Sparsifier.DELLA_MAGPRUNE;
        MethodSpec spec = new MethodSpec(name, description, paper, url, BaseRequirement.REQUIRED, params, random,
                sparsifier == Sparsifier.NONE);
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
    public float[] merge(TensorMerge job) {
        String name = spec.name();
        TensorInput base = job.requireBase(name);
        Params g = job.global();
        boolean normalize = g.bool("normalize");
        Norm rescale = g.bool("rescale") ? Norm.L1 : null;
        float lambda = (float) g.number("lambda");
        g.bool("int8_mask"); // validated, deliberately unused

        List<float[]> kept = new ArrayList<>();
        List<Float> weights = new ArrayList<>();
        boolean warnedNTop = false;
        for (int i : job.otherIndices()) {
            TensorInput x = job.inputs().get(i);
            float[] theta = alignToBase(job, base, x);
            if (theta == null) {
                continue;
            }
            float[] delta = Vec.sub(theta, base.data());
            Params p = x.params();
            float w = (float) p.number("weight");
            double density = p.number("density");
            if (density > 1) {
                job.warn(name + ": density " + density + " > 1 for model " + x.model() + " at " + job.tensorName()
                        + " keeps everything");
            }
            float[] sparse = switch (sparsifier) {
                case NONE -> delta;
                case MAGNITUDE -> {
                    if (density < 1 && Sparsify.keepCount(density, delta.length) == 0) {
                        throw MergeLabException.input(name + ": density " + density + " keeps no element of "
                                        + job.tensorName() + " (n=" + delta.length + ") for model " + x.model(),
                                "raise density to at least 1/n or use a method without top-k pruning");
                    }
                    yield Sparsify.magnitude(delta, density, rescale);
                }
                case BERNOULLI -> Sparsify.bernoulli(delta, density, rescale, job.random(i));
                case MAGNITUDE_OUTLIERS -> {
                    double gamma = p.number("gamma");
                    if (density < 1 && Sparsify.keepCount(gamma, delta.length) == 0 && !warnedNTop) {
                        warnedNTop = true;
                        job.warn(name + ": gamma " + gamma + " removes no top outliers of " + job.tensorName()
                                + " (n=" + delta.length + "); keeping the " + Sparsify.keepCount(density, delta.length)
                                + " largest entries (upstream would drop the whole task vector)");
                    }
                    yield Sparsify.magnitudeOutliers(delta, density, gamma, rescale);
                }
                case DELLA_MAGPRUNE -> {
                    double eps = p.number("epsilon");
                    if (density > 0 && density < 1 && !(density - eps > 0 && density + eps < 1)) {
                        throw MergeLabException.input(name + ": epsilon " + eps + " with density " + density
                                        + " puts keep probabilities outside (0,1) for model " + x.model()
                                        + " at " + job.tensorName(),
                                "need 0 < density - epsilon and density + epsilon < 1");
                    }
                    yield Sparsify.dellaMagprune(delta, base.shape(), density, eps, rescale, job.random(i));
                }
            };
            kept.add(sparse);
            weights.add(w);
        }
        if (kept.isEmpty()) {
            return base.data().clone();
        }
        float[][] d = kept.toArray(new float[0][]);
        float[] w = new float[weights.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = weights.get(i);
        }
        return combine(base.data(), d, w, normalize, lambda);
    }

    /** Steps 2–6 of the pipeline, element by element. */
    private float[] combine(float[] base, float[][] d, float[] w, boolean normalize, float lambda) {
        float sumW = 0;
        for (float wi : w) {
            sumW += wi;
        }
        float plainDivisor = Math.abs(sumW) < 1e-8f ? 1f : sumW;
        float[] out = new float[base.length];
        for (int j = 0; j < out.length; j++) {
            float mix = 0;
            float divisor;
            if (consensus) {
                float vote = 0;
                for (int i = 0; i < d.length; i++) {
                    vote += w[i] * d[i][j];
                }
                int s = vote >= 0 ? 1 : -1;
                float agreeing = 0;
                for (int i = 0; i < d.length; i++) {
                    float wd = w[i] * d[i][j];
                    if (SignConsensus.agrees(wd, s)) {
                        mix += wd;
                        agreeing += w[i];
                    }
                }
                divisor = agreeing == 0 ? 1f : agreeing;
            } else {
                for (int i = 0; i < d.length; i++) {
                    mix += w[i] * d[i][j];
                }
                divisor = plainDivisor;
            }
            if (normalize) {
                mix /= divisor;
            }
            out[j] = base[j] + lambda * mix;
        }
        return out;
    }

    /**
     * Model x's tensor at the base's shape: an embedding is cut to the base's top-left block; any other
     * mismatch skips the model with a warning (upstream's behaviour); null means skipped.
     */
    private float[] alignToBase(TensorMerge job, TensorInput base, TensorInput x) {
        if (Arrays.equals(x.shape(), base.shape())) {
            return x.data();
        }
        boolean fits = x.shape().length == base.shape().length;
        for (int dim = 0; fits && dim < base.shape().length; dim++) {
            fits = x.shape()[dim] >= base.shape()[dim];
        }
        if (job.isEmbed() && fits) {
            job.warn(spec.name() + ": using the top-left " + Arrays.toString(base.shape()) + " block of "
                    + x.model() + ":" + job.tensorName() + " " + Arrays.toString(x.shape()));
            return Shapes.cut(x.data(), x.shape(), base.shape());
        }
        if (job.isEmbed()) {
            throw MergeLabException.input(spec.name() + ": " + x.model() + ":" + job.tensorName() + " "
                            + Arrays.toString(x.shape()) + " is smaller than the base's " + Arrays.toString(base.shape()),
                    "use the model with the smaller vocabulary as base_model");
        }
        job.warn(spec.name() + ": skipping " + x.model() + ":" + job.tensorName() + " due to size mismatch "
                + Arrays.toString(x.shape()) + " vs base " + Arrays.toString(base.shape()));
        return null;
    }
}
