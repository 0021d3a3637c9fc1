package dev.mergelab.method;

import dev.mergelab.method.kernel.PositionRandom;
import dev.mergelab.method.kernel.Sparsifier;
import dev.mergelab.method.kernel.Sparsify;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The chunked form of every method: the engine's path (a header without data, {@link MergeMethod#chunked},
 * chunks of any number of rows) gives the whole-tensor result — bitwise where no reduction spans chunks,
 * within 1e-6 relative where double reductions are regrouped — and random draws depend on position only.
 */
class ChunkedPropertiesTest {

    /** Methods whose statistics are sums over the tensor: chunking regroups them (float lanes per chunk). */
    private static final Set<String> REDUCING = Set.of("slerp", "model_stock", "karcher", "multislerp", "nuslerp",
            "sce", "dare_ties", "dare_linear", "della", "della_linear");

    /** Every method, plus the parameter settings that change its pass structure. */
    static List<Map.Entry<String, Map<String, Object>>> variants() {
        List<Map.Entry<String, Map<String, Object>>> out = new ArrayList<>();
        for (MergeMethod m : MethodRegistry.all()) {
            out.add(Map.entry(m.spec().name(), Map.of()));
        }
        out.add(Map.entry("ties", Map.of("rescale", true)));
        out.add(Map.entry("breadcrumbs", Map.of("rescale", true)));
        out.add(Map.entry("breadcrumbs_ties", Map.of("gamma", 0.1)));
        out.add(Map.entry("dare_linear", Map.of("rescale", false)));
        out.add(Map.entry("della_linear", Map.of("rescale", false)));
        out.add(Map.entry("nuslerp", Map.of("nuslerp_flatten", false)));
        out.add(Map.entry("nuslerp", Map.of("nuslerp_flatten", false, "nuslerp_row_wise", true)));
        out.add(Map.entry("model_stock", Map.of("filter_wise", true)));
        out.add(Map.entry("sce", Map.of("select_topk", 0.6)));
        out.add(Map.entry("peft_ties", Map.of("majority_sign_method", "frequency")));
        out.add(Map.entry("multislerp", Map.of("normalize_weights", false)));
        return out;
    }

    /** Gaussian values rounded to a coarse grid, so equal magnitudes straddle the cuts. */
    static float[] tied(long seed, int n, double scale) {
        float[] x = MethodPropertiesTest.gaussian(seed, n, scale);
        for (int j = 0; j < x.length; j++) {
            x[j] = Math.round(x[j] / (scale / 8)) * (float) (scale / 8);
        }
        return x;
    }

    static TensorMerge job(String method, Map<String, Object> extra, long[] shape, long seed) {
        MergeMethod m = MethodRegistry.get(method);
        int numel = (int) Shapes.numel(shape);
        int models = switch (method) {
            case "slerp", "nearswap", "arcee_fusion", "passthrough" -> 1;
            case "nuslerp" -> 2;
            default -> 3;
        };
        boolean baseless = m.spec().base() == BaseRequirement.NONE || m.spec().base() == BaseRequirement.NOT_SPECIAL;
        float[] base = baseless ? null : tied(seed, numel, 0.02);
        float[] anchor = base != null ? base : tied(seed, numel, 0.02);
        List<float[]> xs = new ArrayList<>();
        for (int i = 0; i < models; i++) {
            xs.add(MethodPropertiesTest.plus(anchor, tied(seed + 1 + i, numel, 0.004)));
        }
        Map<String, Object> g = new HashMap<>();
        Map<String, Object> per = new HashMap<>();
        for (ParamSpec p : m.spec().params()) {
            if (p.required() && p.scope() == Scope.GLOBAL) {
                g.put(p.name(), 0.5);
            }
            if (p.scope() == Scope.PER_MODEL && p.type() == ParamType.NUMBER) {
                per.put(p.name(), switch (p.name()) {
                    case "density" -> 0.5;
                    case "epsilon" -> 0.1;
                    case "gamma" -> 0.05;
                    default -> 0.8;
                });
            }
        }
        for (Map.Entry<String, Object> e : extra.entrySet()) {
            ParamSpec p = m.spec().param(e.getKey());
            (p.scope() == Scope.GLOBAL ? g : per).put(e.getKey(), e.getValue());
        }
        List<Map<String, ?>> pm = new ArrayList<>();
        for (int i = 0; i < models; i++) {
            Map<String, Object> mine = new HashMap<>(per);
            if (mine.containsKey("weight")) {
                mine.put("weight", 0.5 + 0.25 * i);   // unequal weights
            }
            pm.add(mine);
        }
        return Jobs.job(method, shape, base, xs, g, pm, seed, w -> { });
    }

    /** The job without data, as the engine hands it to {@link MergeMethod#chunked}. */
    static TensorMerge header(TensorMerge job) {
        List<TensorInput> in = job.inputs().stream()
                .map(x -> new TensorInput(x.model(), null, x.shape(), x.isBase(), x.params())).toList();
        return new TensorMerge(job.tensorName(), job.isEmbed(), in, job.global(), job.seed(), job.warnings());
    }

    static float[][] data(TensorMerge job) {
        return job.inputs().stream().map(TensorInput::data).toArray(float[][]::new);
    }

    static void assertAgree(String what, float[] whole, float[] chunked, boolean exact) {
        assertEquals(whole.length, chunked.length, what);
        if (exact) {
            assertArrayEquals(whole, chunked, what);
            return;
        }
        // Relative to the element, or to the tensor's scale where the element is a near-cancellation
        // (θ_b + mix with θ_b ≈ −mix): coefficients agree to ~1e-7, outputs to that times the terms.
        float scale = 0;
        for (float v : whole) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int j = 0; j < whole.length; j++) {
            if (!(Math.abs(whole[j] - chunked[j]) <= 1e-6 * (Math.abs(whole[j]) + scale) + 1e-12)) {
                fail(what + "[" + j + "]: whole " + whole[j] + " chunked " + chunked[j]);
            }
        }
    }

    @Property(tries = 25)
    void everyMethodChunksLikeTheWholeTensor(@ForAll long seed, @ForAll @IntRange(min = 2, max = 40) int rows,
                                              @ForAll @IntRange(min = 2, max = 30) int cols,
                                              @ForAll @IntRange(min = 1, max = 40) int chunkRows,
                                              @ForAll @IntRange(min = 0, max = 2) int rankChoice) {
        long[] shape = switch (rankChoice) {
            case 0 -> new long[]{rows * cols};
            case 1 -> new long[]{rows, cols};
            default -> new long[]{rows, 2, cols};
        };
        for (Map.Entry<String, Map<String, Object>> v : variants()) {
            String name = v.getKey() + v.getValue();
            ChunkedMethod m = (ChunkedMethod) MethodRegistry.get(v.getKey());
            TensorMerge job = job(v.getKey(), v.getValue(), shape, seed);
            float[] whole = Chunking.merge(m, job, Integer.MAX_VALUE);
            ChunkedMerge chunked = m.chunked(header(job));
            if (m.wholeTensorOnly(job)) {
                assertNull(chunked, name);
                continue;
            }
            assertNotNull(chunked, name);
            float[] out = Chunking.run(chunked, data(job), m.outputShape(job), chunkRows);
            boolean exact = !REDUCING.contains(v.getKey()) && !Boolean.TRUE.equals(v.getValue().get("rescale"));
            assertAgree(name + " " + java.util.Arrays.toString(shape) + " by " + chunkRows, whole, out, exact);
            assertAgree(name + " merge()", whole, m.merge(job), exact);
        }
    }

    /** Random masks are functions of position: any chunking gives the same zeros, and values up to the rescale. */
    @Property(tries = 40)
    void randomMasksDependOnPositionOnly(@ForAll long seed, @ForAll @IntRange(min = 1, max = 30) int rows,
                                         @ForAll @IntRange(min = 2, max = 40) int cols,
                                         @ForAll @IntRange(min = 1, max = 30) int chunkRows) {
        int n = rows * cols;
        float[] x = tied(seed, n, 0.004);
        long key = PositionRandom.key(seed, "t", 1);
        long[] shape = {rows, cols};
        List<java.util.function.Supplier<Sparsifier>> kinds = List.of(
                () -> Sparsifier.bernoulli(n, key, 0.4, dev.mergelab.method.kernel.Norm.L1),
                () -> Sparsifier.bernoulliDivide(key, 0.4, true),
                () -> Sparsifier.della(shape, key, 0.5, 0.2, dev.mergelab.method.kernel.Norm.L1));
        for (var kind : kinds) {
            float[] whole = Sparsify.run(kind.get(), x, n);
            float[] chunked = Sparsify.run(kind.get(), x, chunkRows * cols);
            for (int j = 0; j < n; j++) {
                assertEquals(whole[j] == 0, chunked[j] == 0, "mask at " + j);
            }
            assertAgree("rescaled values", whole, chunked, false);
        }
    }

    /** Bernoulli(p) from the position hash keeps close to p (a 6σ band) and differs between streams. */
    @Property(tries = 20)
    void bernoulliKeepRateIsDensity(@ForAll long seed, @ForAll @IntRange(min = 1, max = 99) int percent) {
        double p = percent / 100.0;
        int n = 20_000;
        int t = PositionRandom.threshold32(p);
        long a = PositionRandom.key(seed, "x", 0);
        long b = PositionRandom.key(seed, "x", 1);
        int keptA = 0;
        int same = 0;
        for (int j = 0; j < n; j++) {
            boolean ka = Integer.compareUnsigned(PositionRandom.word(a, j), t) < 0;
            boolean kb = Integer.compareUnsigned(PositionRandom.word(b, j), t) < 0;
            keptA += ka ? 1 : 0;
            same += ka == kb ? 1 : 0;
        }
        double sd = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(keptA - n * p) <= 6 * sd, "kept " + keptA + " of " + n + " at p=" + p);
        double agree = p * p + (1 - p) * (1 - p);
        assertTrue(Math.abs(same - n * agree) <= 6 * Math.sqrt(n * agree * (1 - agree)) + 1, "streams look correlated");
    }

    /** Random methods: the same bytes from chunked merges of different chunk sizes running on several threads. */
    @Property(tries = 3)
    void randomMethodsIndependentOfChunkingAndThreads(@ForAll long seed) throws Exception {
        long[] shape = {48, 40};
        List<String> random = MethodRegistry.all().stream().filter(m -> m.spec().random()).map(m -> m.spec().name()).toList();
        Map<String, float[]> reference = new HashMap<>();
        for (String name : random) {
            reference.put(name, MethodRegistry.get(name).merge(job(name, Map.of("rescale", false).entrySet().stream()
                    .filter(e -> MethodRegistry.get(name).spec().param(e.getKey()) != null)
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), shape, seed)));
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> futures = new ArrayList<>();
            SplittableRandom r = new SplittableRandom(seed);
            for (int rep = 0; rep < 4; rep++) {
                for (String name : random) {
                    int chunkRows = 1 + r.nextInt(48);
                    futures.add(pool.submit(() -> {
                        ChunkedMethod m = (ChunkedMethod) MethodRegistry.get(name);
                        Map<String, Object> extra = m.spec().param("rescale") != null ? Map.of("rescale", false) : Map.of();
                        TensorMerge job = job(name, extra, shape, seed);
                        float[] out = Chunking.run(m.chunked(header(job)), data(job), shape, chunkRows);
                        assertArrayEquals(reference.get(name), out, name + " by " + chunkRows);
                        return null;
                    }));
                }
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
    }

    /** arcee_fusion above 10^6 elements: the position-keyed sample and its quantiles do not see the chunking. */
    @org.junit.jupiter.api.Test
    void sampledFusionIsIndependentOfChunking() {
        long[] shape = {1000, 1003};
        TensorMerge job = job("arcee_fusion", Map.of(), shape, 5);
        ChunkedMethod m = (ChunkedMethod) MethodRegistry.get("arcee_fusion");
        float[] whole = Chunking.merge(m, job, Integer.MAX_VALUE);
        for (int rows : new int[]{1, 37, 999}) {
            assertArrayEquals(whole, Chunking.run(m.chunked(header(job)), data(job), shape, rows), "by " + rows);
        }
        int kept = 0;
        float[] base = job.base().data();
        for (int j = 0; j < whole.length; j++) {
            kept += whole[j] != base[j] ? 1 : 0;
        }
        assertTrue(kept > 0 && kept < whole.length / 2, "an upper-outlier mask keeps a minority: " + kept);
    }

    /**
     * sce above 2^20 elements guesses its cut bucket from the first chunk: when the rows look alike the
     * low-bit pass is skipped (2 statistics passes, not 3); when the first rows are unlike the rest the
     * guess misses and the pass runs. Either way the result is the whole tensor's.
     */
    @org.junit.jupiter.api.Test
    void sceGuessedCutMatchesTheWholeTensor() {
        long[] shape = {1024, 1031};
        for (boolean unlikeFirstRows : new boolean[]{false, true}) {
            TensorMerge job = job("sce", Map.of("select_topk", 0.3), shape, 11);
            float[][] data = data(job);
            if (unlikeFirstRows) {
                for (int i = 0; i < data.length; i++) {
                    if (i != job.baseIndex()) {
                        for (int j = 0; j < 40 * 1031; j++) {   // the first chunk's task vectors 100x smaller
                            data[i][j] = data[job.baseIndex()][j] + (data[i][j] - data[job.baseIndex()][j]) / 100;
                        }
                    }
                }
            }
            ChunkedMethod m = (ChunkedMethod) MethodRegistry.get("sce");
            float[] whole = Chunking.merge(m, job, Integer.MAX_VALUE);
            ChunkedMerge probe = m.chunked(header(job));
            for (int r = 0; r < shape[0]; r += 40) {
                probe.observe(0, r, (int) Math.min(40, shape[0] - r), rowsOf(data, r, 40, (int) shape[1]));
            }
            probe.endPass(0);
            assertEquals(unlikeFirstRows ? 3 : 2, probe.statisticPasses(), "passes left after the guess");
            for (int rows : new int[]{40, 999}) {
                assertAgree("sce by " + rows + (unlikeFirstRows ? " (guess missed)" : ""), whole,
                        Chunking.run(m.chunked(header(job)), data, shape, rows), false);
            }
        }
    }

    /** Rows [row, row + rows) of every input, as the engine hands a chunk over. */
    private static float[][] rowsOf(float[][] data, int row, int rows, int cols) {
        float[][] out = new float[data.length][];
        for (int i = 0; i < data.length; i++) {
            int n = Math.min(rows, data[i].length / cols - row) * cols;
            out[i] = java.util.Arrays.copyOfRange(data[i], row * cols, row * cols + n);
        }
        return out;
    }
}
