package dev.mergelab.method;

import dev.mergelab.method.kernel.RadixSelect;
import dev.mergelab.method.kernel.Sparsifier;
import dev.mergelab.method.kernel.Sparsify;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Algebraic properties every implementation of these formulas must have. */
class MethodPropertiesTest {

    static float[] gaussian(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            // Box–Muller keeps this independent of java.util.Random's nextGaussian implementation.
            double u = r.nextDouble(1e-12, 1);
            double v = r.nextDouble();
            x[j] = (float) (scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
        }
        return x;
    }

    static float[] plus(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int j = 0; j < a.length; j++) {
            out[j] = a[j] + b[j];
        }
        return out;
    }

    @Property(tries = 40)
    void linearOfOneModelIsIdentity(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                    @ForAll @DoubleRange(min = 0.1, max = 10) double w) {
        float[] x = gaussian(seed, n, 0.02);
        float[] out = Jobs.merge("linear", null, List.of(x), Map.of(), Jobs.weights(w));
        for (int j = 0; j < n; j++) {
            assertEquals(x[j], out[j], Math.ulp(x[j]) * 2, "w·x/w");
        }
    }

    @Property(tries = 40)
    void slerpAtZeroIsTheBaseAndAtOneTheModel(@ForAll long seed, @ForAll @IntRange(min = 2, max = 300) int n) {
        float[] base = gaussian(seed, n, 0.02);
        float[] other = gaussian(seed + 1, n, 0.02);
        assertArrayEquals(base, Jobs.merge("slerp", base, List.of(other), Map.of("t", 0.0), List.of()), 1e-7f);
        assertArrayEquals(other, Jobs.merge("slerp", base, List.of(other), Map.of("t", 1.0), List.of()), 1e-6f);
    }

    @Property(tries = 40)
    void tiesAtDensityOneWithOneModelIsTaskArithmetic(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int n,
                                                      @ForAll @DoubleRange(min = -2, max = 2) double w,
                                                      @ForAll @DoubleRange(min = 0, max = 2) double lambda) {
        float[] base = gaussian(seed, n, 0.02);
        float[] x = plus(base, gaussian(seed + 7, n, 0.004));
        Map<String, Object> g = Map.of("lambda", lambda, "normalize", false);
        float[] ties = Jobs.merge("ties", base, List.of(x), g, List.of(Map.of("weight", w, "density", 1.0)));
        float[] ta = Jobs.merge("task_arithmetic", base, List.of(x), g, Jobs.weights(w));
        // task_arithmetic fuses w·λ into one multiply-add; ties rounds w·δ first: equal to an ulp or so.
        assertArrayEquals(ta, ties, 1e-8f);
    }

    @Property(tries = 30)
    void modelStockOfParallelOffsetsIsTheirMean(@ForAll long seed, @ForAll @IntRange(min = 8, max = 200) int n) {
        // Offsets well above the 1e-6 floor on ‖o_i‖‖o_j‖, so the cosine is exactly 1 and t = 1.
        float[] base = gaussian(seed, n, 0.02);
        float[] d = gaussian(seed + 3, n, 0.1);
        float[] a = plus(base, d);
        float[] b = plus(base, d);
        float[] out = Jobs.merge("model_stock", base, List.of(a, b), Map.of(), List.of());
        assertArrayEquals(a, out, 1e-7f);
    }

    @Property(tries = 30)
    void nuslerpOfEqualWeightsIsSymmetric(@ForAll long seed, @ForAll @IntRange(min = 2, max = 200) int n) {
        float[] a = gaussian(seed, n, 0.02);
        float[] b = gaussian(seed + 1, n, 0.02);
        float[] ab = Jobs.merge("nuslerp", null, List.of(a, b), Map.of(), Jobs.weights(1, 1));
        float[] ba = Jobs.merge("nuslerp", null, List.of(b, a), Map.of(), Jobs.weights(1, 1));
        assertArrayEquals(ab, ba, 1e-7f);
    }

    @Property(tries = 30)
    void nearswapMovesNoElementByMoreThanT(@ForAll long seed, @ForAll @IntRange(min = 1, max = 200) int n,
                                           @ForAll @DoubleRange(min = 0, max = 0.05) double t) {
        float[] base = gaussian(seed, n, 0.02);
        float[] other = gaussian(seed + 1, n, 0.02);
        float[] out = Jobs.merge("nearswap", base, List.of(other), Map.of("t", t), List.of());
        for (int j = 0; j < n; j++) {
            assertTrue(Math.abs(out[j] - base[j]) <= t * (1 + 1e-6) + 1e-9);
        }
    }

    // ---- selection kernels against a plain sort, with many ties ----

    @Provide
    Arbitrary<float[]> tiedVectors() {
        return Arbitraries.integers().between(1, 400).flatMap(n ->
                Arbitraries.integers().between(-6, 6).array(int[].class).ofSize(n)
                        .map(ints -> {
                            float[] x = new float[ints.length];
                            for (int j = 0; j < x.length; j++) {
                                x[j] = ints[j] * 0.25f;
                            }
                            return x;
                        }));
    }

    /**
     * magnitude_outliers (and top-k, its γ = 0 case) against a plain sort by (|x| descending, index
     * ascending): keep the descending ranks [n_top, n_top + target), fed in chunks of any size.
     */
    @Property(tries = 300)
    void magnitudeWindowsMatchASort(@ForAll("tiedVectors") float[] x,
                                    @ForAll @DoubleRange(min = 0, max = 0.99) double density,
                                    @ForAll @DoubleRange(min = 0, max = 0.3) double gamma,
                                    @ForAll @IntRange(min = 1, max = 400) int chunk) {
        int n = x.length;
        long target = Sparsifier.keepCount(density, n);
        long nTop = Sparsifier.keepCount(gamma, n);
        if (n - target - nTop < 0) {
            nTop = n - target;
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -Math.abs(x[j])).thenComparing(j -> j));
        float[] expected = new float[n];
        for (long r = nTop; r < nTop + target; r++) {
            expected[order[(int) r]] = x[order[(int) r]];
        }
        assertArrayEquals(expected, Sparsify.run(Sparsifier.magnitudeOutliers(n, density, gamma, null), x, chunk));
        if (gamma == 0) {
            assertArrayEquals(expected, Sparsify.run(Sparsifier.magnitude(n, density, null), x, chunk));
        }
    }

    @Property(tries = 200)
    void radixSelectFindsTheRankedKey(@ForAll("tiedVectors") float[] x, @ForAll @DoubleRange(min = 0, max = 1) double f,
                                      @ForAll @IntRange(min = 1, max = 50) int chunk) {
        int n = x.length;
        int[] keys = new int[n];
        for (int j = 0; j < n; j++) {
            keys[j] = Float.floatToRawIntBits(x[j]) & 0x7fffffff;
        }
        int[] sorted = keys.clone();
        Arrays.sort(sorted);
        long k = Math.max(1, (long) (f * n));
        RadixSelect select = new RadixSelect();
        for (int at = 0; at < n; at += chunk) {
            int[] part = Arrays.copyOfRange(keys, at, Math.min(n, at + chunk));
            select.countHigh(part, part.length);
        }
        select.resolve(k);
        for (int at = 0; at < n; at += chunk) {
            int[] part = Arrays.copyOfRange(keys, at, Math.min(n, at + chunk));
            select.countLow(part, part.length);
        }
        int kth = sorted[(int) (n - k)];
        assertEquals(kth, select.key(0));
        long above = Arrays.stream(keys).filter(v -> v > kth).count();
        assertEquals(k - above, select.cut(0).ties());
    }

    // ---- chunking and scheduling ----

    /**
     * For every method flagged element-wise, merging row chunks separately and concatenating gives the
     * same bytes as merging the whole tensor: the flag is a promise the engine may rely on.
     */
    @Property(tries = 10)
    void elementwiseMethodsCommuteWithChunking(@ForAll long seed, @ForAll @IntRange(min = 1, max = 7) int cut) {
        int rows = 8;
        int cols = 5;
        float[] base = gaussian(seed, rows * cols, 0.02);
        List<float[]> models = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            models.add(plus(base, gaussian(seed + 10 + i, rows * cols, 0.004)));
        }
        int checked = 0;
        for (MergeMethod m : MethodRegistry.all()) {
            if (!m.spec().elementwise()) {
                continue;
            }
            checked++;
            boolean single = m.spec().base() == BaseRequirement.NONE;
            boolean baseless = single || m.spec().base() == BaseRequirement.NOT_SPECIAL;
            int nModels = m.spec().name().equals("nearswap") ? 1 : 3;
            float[] b = baseless ? null : base;
            List<float[]> ms = single ? List.of(models.getFirst()) : models.subList(0, nModels);
            Map<String, Object> g = new HashMap<>();
            if (m.spec().name().equals("nearswap")) {
                g.put("t", 0.003);
            }
            List<Map<String, ?>> pm = Jobs.each(ms.size(), m.spec().param("weight") != null ? Map.of("weight", 0.7) : Map.of());
            float[] whole = m.merge(Jobs.job(m.spec().name(), new long[]{rows, cols}, b, ms, g, pm, 1, w -> { }));
            float[] top = m.merge(Jobs.job(m.spec().name(), new long[]{cut, cols},
                    b == null ? null : Arrays.copyOfRange(b, 0, cut * cols),
                    ms.stream().map(x -> Arrays.copyOfRange(x, 0, cut * cols)).toList(), g, pm, 1, w -> { }));
            float[] bottom = m.merge(Jobs.job(m.spec().name(), new long[]{rows - cut, cols},
                    b == null ? null : Arrays.copyOfRange(b, cut * cols, rows * cols),
                    ms.stream().map(x -> Arrays.copyOfRange(x, cut * cols, rows * cols)).toList(), g, pm, 1, w -> { }));
            float[] joined = new float[whole.length];
            System.arraycopy(top, 0, joined, 0, top.length);
            System.arraycopy(bottom, 0, joined, top.length, bottom.length);
            assertArrayEquals(whole, joined, m.spec().name());
        }
        assertEquals(6, checked);
    }

    /** Random methods give the same bytes whether tensors are merged one by one or concurrently. */
    @Property(tries = 3)
    void randomMethodsDoNotDependOnScheduling(@ForAll long seed) throws Exception {
        float[] base = gaussian(seed, 2048, 0.02);
        List<float[]> models = List.of(plus(base, gaussian(seed + 1, 2048, 0.004)), plus(base, gaussian(seed + 2, 2048, 0.004)));
        List<MergeMethod> random = MethodRegistry.all().stream().filter(m -> m.spec().random()).toList();
        List<float[]> sequential = new ArrayList<>();
        for (MergeMethod m : random) {
            sequential.add(m.merge(randomJob(m, base, models, seed)));
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) {
                for (MergeMethod m : random.reversed()) {
                    futures.add(pool.submit(() -> m.merge(randomJob(m, base, models, seed))));
                }
            }
            for (int k = 0; k < futures.size(); k++) {
                int idx = random.size() - 1 - (k % random.size());
                assertArrayEquals(sequential.get(idx), futures.get(k).get(), random.get(idx).spec().name());
            }
        }
    }

    private static TensorMerge randomJob(MergeMethod m, float[] base, List<float[]> models, long seed) {
        Map<String, Object> g = new HashMap<>();
        if (m.spec().param("density") != null && m.spec().param("density").scope() == Scope.GLOBAL) {
            g.put("density", 0.5);
        }
        List<? extends Map<String, ?>> pm = m.spec().name().equals("arcee_fusion") ? List.of()
                : Jobs.each(models.size(), m.spec().param("density") != null && m.spec().param("density").scope() == Scope.PER_MODEL
                ? Map.of("weight", 1.0, "density", 0.5) : Map.of("weight", 1.0));
        List<float[]> ms = m.spec().name().equals("arcee_fusion") ? models.subList(0, 1) : models;
        return Jobs.job(m.spec().name(), new long[]{32, 64}, base, ms, g, pm, seed, w -> { });
    }

    @Property(tries = 5)
    void aDifferentSeedOrTensorGivesADifferentMask(@ForAll long seed) {
        float[] base = gaussian(seed, 1000, 0.02);
        List<float[]> models = List.of(plus(base, gaussian(seed + 1, 1000, 0.004)));
        List<Map<String, ?>> pm = List.of(Map.of("weight", 1.0, "density", 0.5));
        MergeMethod dare = MethodRegistry.get("dare_linear");
        float[] a = dare.merge(Jobs.job("dare_linear", new long[]{1000}, base, models, Map.of(), pm, seed, w -> { }));
        float[] b = dare.merge(Jobs.job("dare_linear", new long[]{1000}, base, models, Map.of(), pm, seed + 1, w -> { }));
        float[] c = dare.merge(Jobs.job("dare_linear", new long[]{1000}, base, models, Map.of(), pm, seed, w -> { }));
        assertArrayEquals(a, c);
        assertTrue(!Arrays.equals(a, b));
    }

    /** No method writes into its inputs. */
    @Property(tries = 3)
    void methodsNeverMutateTheirInputs(@ForAll long seed) {
        for (MergeMethod m : MethodRegistry.all()) {
            String name = m.spec().name();
            float[] base = gaussian(seed, 96, 0.02);
            int n = switch (name) {
                case "slerp", "nearswap", "arcee_fusion", "passthrough" -> 1;
                case "nuslerp" -> 2;
                default -> 3;
            };
            List<float[]> models = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                models.add(plus(base, gaussian(seed + i + 1, 96, 0.004)));
            }
            float[] baseCopy = base.clone();
            List<float[]> copies = models.stream().map(float[]::clone).toList();
            Map<String, Object> g = new HashMap<>();
            for (ParamSpec p : m.spec().params()) {
                if (p.required() && p.scope() == Scope.GLOBAL) {
                    g.put(p.name(), 0.5);
                }
            }
            Map<String, Object> per = new HashMap<>();
            for (ParamSpec p : m.spec().params()) {
                if (p.scope() == Scope.PER_MODEL && p.type() == ParamType.NUMBER) {
                    per.put(p.name(), p.name().equals("density") ? 0.5 : p.name().equals("epsilon") ? 0.1 : 0.8);
                }
            }
            float[] b = m.spec().base() == BaseRequirement.NONE || m.spec().base() == BaseRequirement.NOT_SPECIAL ? null : base;
            float[] out = m.merge(Jobs.job(name, new long[]{8, 12}, b, models, g, Jobs.each(n, per), seed, w -> { }));
            assertEquals(96, out.length, name);
            assertArrayEquals(baseCopy, base, name + " mutated the base");
            for (int i = 0; i < n; i++) {
                assertArrayEquals(copies.get(i), models.get(i), name + " mutated model " + i);
            }
        }
    }
}
