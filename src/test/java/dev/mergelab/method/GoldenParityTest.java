package dev.mergelab.method;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.method.kernel.Norm;
import dev.mergelab.method.kernel.PositionRandom;
import dev.mergelab.method.kernel.SignConsensus;
import dev.mergelab.method.kernel.Sparsify;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Parity with the peer (mergekit a6e40288 / PEFT 5d602fdb) on all golden cases (METHODS.md §7):
 * deterministic cases element-wise within 1e-6 + 1e-5·|peer|, the two deliberate differences as the
 * spec pins them, random cases through the peer's statistics.
 */
class GoldenParityTest {

    /** Our seeds for random cases; their statistics are averaged (the peer used 0..19). */
    private static final long[] SEEDS = {11, 12, 13, 14};

    private static final String QUIRK_NTOP0 = "mk_breadcrumbs_quirk_ntop0_v";

    static Stream<String> caseIds() {
        return Golden.get().cases().stream().map(c -> c.get("id").asText());
    }

    static Stream<String> resolvedCaseIds() {
        return Golden.get().cases().stream().filter(c -> c.has("resolved_params")).map(c -> c.get("id").asText());
    }

    private static JsonNode byId(String id) {
        return Golden.get().cases().stream().filter(c -> c.get("id").asText().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void inventoryMatchesTheSpec() {
        List<JsonNode> cases = Golden.get().cases();
        assertEquals(185, cases.size());
        assertEquals(173, cases.stream().filter(c -> c.get("kind").asText().equals("deterministic")).count());
        assertEquals(12, cases.stream().filter(c -> c.get("kind").asText().equals("random")).count());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseIds")
    void golden(String id) {
        JsonNode c = byId(id);
        boolean random = c.get("kind").asText().equals("random");
        boolean mergeLevel = c.get("inputs").has("models") || c.get("inputs").has("task_tensors");
        if (random) {
            checkRandom(c, mergeLevel);
        } else if (mergeLevel) {
            checkDeterministicMerge(c);
        } else {
            assertClose(id, unit(c, 0), Golden.get().output(c.get("output").asText()));
        }
    }

    // ---------------------------------------------------------------- deterministic merges

    /** Rows per chunk: the default whole-tensor merge, and 5-row chunks (a 1-D case is always one chunk). */
    private static final int[] CHUNK_ROWS = {0, 5};

    private void checkDeterministicMerge(JsonNode c) {
        String id = c.get("id").asText();
        for (int chunkRows : CHUNK_ROWS) {
            List<String> warnings = new ArrayList<>();
            TensorMerge job = Golden.get().job(c, 0, warnings::add);
            MergeMethod method = MethodRegistry.get(Golden.methodName(c));
            float[] ours = chunkRows == 0 ? method.merge(job) : Chunking.merge((ChunkedMethod) method, job, chunkRows);
            float[] peer = Golden.get().output(c.get("output").asText());
            long[] shape = toLongs(c.get("shape"));
            assertArrayEquals(shape, method.outputShape(job), id + ": output shape");
            assertEquals(peer.length, ours.length, id + ": output size");

            if (id.equals(QUIRK_NTOP0)) {
                checkBreadcrumbsQuirk(c, job, ours, peer, warnings);
            } else if (c.get("method").asText().equals("arcee_fusion") && c.has("flags")) {
                checkFragileFusion(c, job, ours, peer);
            } else {
                assertClose(id + (chunkRows == 0 ? "" : " in " + chunkRows + "-row chunks"), ours, peer);
            }
        }
    }

    /**
     * METHODS.md §7: with int(γ·n) = 0 MergeLab keeps the int(density·n) largest entries (exactly what
     * magnitude keeps) instead of upstream's empty slice, and warns. Recomputed here by a plain sort.
     */
    private void checkBreadcrumbsQuirk(JsonNode c, TensorMerge job, float[] ours, float[] peer, List<String> warnings) {
        float[] base = job.base().data();
        float[] w = {1f, .5f, .7f};
        float[] expected = base.clone();
        float[] mix = new float[base.length];
        for (int i = 0; i < 3; i++) {
            float[] delta = Golden.get().input(c.get("inputs").get("base").asText().replace("base", "delta" + i));
            assertEquals(210, (int) (0.7 * delta.length));
            Integer[] order = IntStream.range(0, delta.length).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(j -> -Math.abs(delta[j])));
            for (int r = 0; r < 210; r++) {
                mix[order[r]] += w[i] * delta[order[r]];
            }
        }
        for (int j = 0; j < base.length; j++) {
            expected[j] = base[j] + mix[j];
        }
        assertClose(c.get("id").asText() + " (MergeLab rule)", ours, expected);
        assertArrayEquals(base, peer, "the peer output of the quirk case is the base");
        assertTrue(maxViolation(ours, peer) > 0, "MergeLab must differ from upstream's empty slice here");
        assertEquals(1, warnings.stream().filter(s -> s.contains("removes no top outliers")).count(), warnings.toString());
    }

    /**
     * METHODS.md §7: at |θ| ≈ 0.02 the fusion mask is ill-conditioned, so an element may miss the rule
     * only as a mask flip: our value is θ_b or θ_1 and our importance is within 1% of the peer threshold.
     */
    private void checkFragileFusion(JsonNode c, TensorMerge job, float[] ours, float[] peer) {
        float[] base = job.base().data();
        float[] other = job.inputs().get(job.otherIndices()[0]).data();
        float[] imp = ArceeFusion.importance(base, other, job.base().shape());
        double thr = c.get("fusion_threshold").asDouble();
        int flips = 0;
        for (int j = 0; j < ours.length; j++) {
            if (within(ours[j], peer[j])) {
                continue;
            }
            assertTrue(within(ours[j], base[j]) || within(ours[j], other[j]),
                    c.get("id").asText() + "[" + j + "] is neither base nor model: " + ours[j]);
            assertTrue(Math.abs(imp[j] - thr) <= 0.01 * thr,
                    c.get("id").asText() + "[" + j + "] flipped with importance " + imp[j] + " far from threshold " + thr);
            flips++;
        }
        assertTrue(flips <= 3, c.get("id").asText() + ": " + flips + " mask flips");
    }

    // ---------------------------------------------------------------- unit-level primitives

    private static float[] unit(JsonNode c, long seed) {
        JsonNode p = c.get("params");
        String kind = c.get("library").asText() + ":" + c.get("method").asText();
        long rng = PositionRandom.key(seed, c.get("id").asText(), 0);
        if (kind.equals("mergekit:get_mask") || kind.equals("peft:calculate_majority_sign_mask")) {
            List<float[]> xs = new ArrayList<>();
            c.get("inputs").get("tensors").forEach(t -> xs.add(Golden.get().input(t.asText())));
            float[][] masks = SignConsensus.masks(xs.toArray(new float[0][]),
                    SignConsensus.Vote.parse(p.get("method").asText()));
            return concat(masks);
        }
        String name = c.get("inputs").get("tensor").asText();
        float[] x = Golden.get().input(name);
        double density = p.get("density").asDouble();
        Norm norm = p.has("rescale_norm") ? Norm.parse(p.get("rescale_norm").isNull() ? null : p.get("rescale_norm").asText()) : null;
        return switch (kind) {
            case "mergekit:sparsify.magnitude" -> Sparsify.magnitude(x, density, norm);
            case "mergekit:sparsify.magnitude_outliers" ->
                    Sparsify.magnitudeOutliers(x, density, p.get("gamma").asDouble(), norm);
            case "mergekit:sparsify.random" -> Sparsify.bernoulli(x, density, norm, rng);
            case "mergekit:sparsify.della_magprune" ->
                    Sparsify.dellaMagprune(x, Golden.get().shape(name), density, p.get("epsilon").asDouble(), norm, rng);
            case "peft:prune" -> switch (p.get("method").asText()) {
                case "magnitude" -> Sparsify.magnitude(x, density, null);
                case "random" -> Sparsify.bernoulliDivide(x, density, p.path("rescale").asBoolean(false), rng);
                default -> throw new AssertionError("unknown prune method in " + c);
            };
            default -> throw new AssertionError("no MergeLab primitive for golden case kind " + kind);
        };
    }

    // ---------------------------------------------------------------- random cases

    private void checkRandom(JsonNode c, boolean mergeLevel) {
        String id = c.get("id").asText();
        Map<String, Double> mean = new LinkedHashMap<>();
        for (long seed : SEEDS) {
            Map<String, Double> s;
            if (mergeLevel) {
                TensorMerge job = Golden.get().job(c, seed, w -> { });
                s = mergeStats(c, job, MethodRegistry.get(Golden.methodName(c)).merge(job));
            } else {
                String name = c.get("inputs").get("tensor").asText();
                s = sparsifyStats(Golden.get().input(name), Golden.get().shape(name), unit(c, seed));
            }
            s.forEach((k, v) -> mean.merge(k, v / SEEDS.length, Double::sum));
        }
        List<String> failures = new ArrayList<>();
        c.get("stats").properties().forEach(e -> {
            Double ours = mean.get(e.getKey());
            assertNotNull(ours, id + ": statistic " + e.getKey() + " not computed");
            double peerMean = e.getValue().get("peer_mean").asDouble();
            double peerStd = e.getValue().get("peer_std").asDouble();
            if (!(Math.abs(ours - peerMean) <= 5 * peerStd + 1e-6)) {
                failures.add(e.getKey() + ": ours " + ours + " vs peer " + peerMean + " ± " + peerStd);
            }
        });
        assertTrue(failures.isEmpty(), id + ": " + failures);
    }

    /** random_stat_definitions, merge level: d = out − base (PEFT: out) against e = Σ w_i δ_i in float64. */
    private static Map<String, Double> mergeStats(JsonNode c, TensorMerge job, float[] out) {
        boolean peft = c.get("library").asText().equals("peft");
        float[] base = job.base().data();
        int[] others = job.otherIndices();
        int n = out.length;
        double[] e = new double[n];
        for (int i = 0; i < others.length; i++) {
            TensorInput x = job.inputs().get(others[i]);
            double w = x.params().number("weight");
            float[] delta = peft ? x.data() : Golden.get().input(x.model().replace("/ft", "/delta"));
            for (int j = 0; j < n; j++) {
                e[j] += w * delta[j];
            }
        }
        double unchanged = 0, de = 0, ee = 0, dd = 0, sd = 0, se = 0, sq = 0, ad = 0, ae = 0;
        for (int j = 0; j < n; j++) {
            double d = peft ? out[j] : (double) out[j] - base[j];
            if (peft ? out[j] == 0 : out[j] == base[j]) {
                unchanged++;
            }
            de += d * e[j];
            ee += e[j] * e[j];
            dd += d * d;
            sd += d;
            se += e[j];
            sq += (d - e[j]) * (d - e[j]);
            ad += Math.abs(d);
            ae += Math.abs(e[j]);
        }
        double cov = de / n - (sd / n) * (se / n);
        double varD = dd / n - (sd / n) * (sd / n);
        double varE = ee / n - (se / n) * (se / n);
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("frac_unchanged", unchanged / n);
        s.put("slope_vs_ta", de / ee);
        s.put("corr_vs_ta", cov / Math.sqrt(varD * varE));
        s.put("rel_rmse_vs_ta", Math.sqrt(sq / n) / Math.sqrt(ee / n));
        s.put("mean_abs_ratio_vs_ta", ad / ae);
        return s;
    }

    /** random_stat_definitions, sparsify level. */
    private static Map<String, Double> sparsifyStats(float[] x, long[] shape, float[] out) {
        int n = x.length;
        double kept = 0, ratioSum = 0, ratioSq = 0, l1Out = 0, l1In = 0;
        for (int j = 0; j < n; j++) {
            l1Out += Math.abs(out[j]);
            l1In += Math.abs(x[j]);
            if (out[j] != 0) {
                kept++;
                double r = (double) out[j] / x[j];
                ratioSum += r;
                ratioSq += r * r;
            }
        }
        double rMean = ratioSum / kept;
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("kept_fraction", kept / n);
        s.put("rescale_mean", rMean);
        s.put("rescale_std", Math.sqrt(Math.max(0, ratioSq / kept - rMean * rMean)));
        s.put("l1_ratio", l1Out / l1In);
        // Keep rate by within-row magnitude rank bucket (della's rank-dependent probabilities); ranks by
        // a plain stable sort, independent of the kernel under test.
        int cols = shape.length <= 1 ? n : (int) shape[shape.length - 1];
        double[] bucketKept = new double[5];
        double[] bucketAll = new double[5];
        for (int off = 0; off < n; off += cols) {
            final int o = off;
            Integer[] order = IntStream.range(0, cols).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(k -> Math.abs(x[o + k])));
            for (int r = 0; r < cols; r++) {
                int b = r * 5 / cols;
                bucketAll[b]++;
                if (out[o + order[r]] != 0) {
                    bucketKept[b]++;
                }
            }
        }
        for (int b = 0; b < 5; b++) {
            s.put("kept_fraction_rank_bucket" + b, bucketKept[b] / bucketAll[b]);
        }
        return s;
    }

    // ---------------------------------------------------------------- defaults

    /** Our defaults reproduce mergekit's resolved parameters for every method case that records them. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("resolvedCaseIds")
    void defaultsMatchResolvedParams(String id) {
        JsonNode c = byId(id);
        TensorMerge job = Golden.get().job(c, 0, w -> { });
        MethodSpec spec = MethodRegistry.get(Golden.methodName(c)).spec();
        JsonNode resolved = c.get("resolved_params");
        resolved.get("global").properties().forEach(e -> assertParam(spec, job.global(), e.getKey(), e.getValue(), id));
        int[] others = job.otherIndices();
        JsonNode perModel = resolved.get("per_model");
        for (int i = 0; i < perModel.size(); i++) {
            Params p = job.inputs().get(others[i]).params();
            perModel.get(i).properties().forEach(e -> assertParam(spec, p, e.getKey(), e.getValue(), id));
        }
    }

    private static void assertParam(MethodSpec spec, Params params, String key, JsonNode expected, String id) {
        ParamSpec p = spec.param(key);
        assertNotNull(p, id + ": " + spec.name() + " lacks parameter " + key);
        Object ours = switch (p.type()) {
            case NUMBER -> params.number(key);
            case INT -> params.integer(key);
            case BOOL -> params.bool(key);
            case STRING -> params.string(key);
        };
        Object want = Golden.scalar(expected);
        if (ours instanceof Number a && want instanceof Number b) {
            assertEquals(b.doubleValue(), a.doubleValue(), 0.0, id + ": " + key);
        } else {
            assertEquals(want, ours, id + ": " + key);
        }
    }

    // ---------------------------------------------------------------- helpers

    static boolean within(double ours, double peer) {
        return Math.abs(ours - peer) <= 1e-6 + 1e-5 * Math.abs(peer);
    }

    /** Largest |ours − peer| − tolerance (≤ 0 when every element passes). */
    static double maxViolation(float[] ours, float[] peer) {
        double worst = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < ours.length; j++) {
            worst = Math.max(worst, Math.abs(ours[j] - peer[j]) - (1e-6 + 1e-5 * Math.abs(peer[j])));
        }
        return worst;
    }

    static void assertClose(String what, float[] ours, float[] peer) {
        assertEquals(peer.length, ours.length, what + ": size");
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int j = 0; j < ours.length; j++) {
            if (!within(ours[j], peer[j])) {
                if (bad++ < 5) {
                    first.append(String.format(" [%d] ours %.9g peer %.9g;", j, ours[j], peer[j]));
                }
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + ours.length + " elements outside 1e-6 + 1e-5·|peer|:" + first);
        }
    }

    private static float[] concat(float[][] xs) {
        int n = 0;
        for (float[] x : xs) {
            n += x.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] x : xs) {
            System.arraycopy(x, 0, out, at, x.length);
            at += x.length;
        }
        return out;
    }

    private static long[] toLongs(JsonNode arr) {
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asLong();
        }
        return out;
    }
}
