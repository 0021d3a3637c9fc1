package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static dev.mergelab.cli.Reference.Want;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mergelab.cli.InProcessCli.Run;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.cli.ExampleFamilies.Family;
import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.Params;
import dev.mergelab.method.TensorInput;
import dev.mergelab.method.TensorMerge;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The acceptance criterion: recipes shaped like mergekit's {@code examples/} run unchanged (model
 * names swapped for generated folders) through the real CLI, and every output tensor is checked against
 * an independent computation written here. Simple methods are recomputed in float64 from METHODS.md
 * ({@link Reference}); for the complex ones the test checks the engine's routing instead: each output
 * tensor must equal the registered method called directly on the right input tensors with parameters
 * resolved by hand below. Either way the planner's tensor routing, layer renumbering, gradients,
 * filters and precedence, dtypes, tied heads, vocabulary cuts and the output folder are tested without
 * its code.
 */
class MergekitExamplesTest {

    @TempDir
    static Path tmp;
    static List<Family> families;
    static final ObjectMapper JSON = new ObjectMapper();

    /** Opened parents of every family, by family name and placeholder. */
    static final Map<String, Map<String, ModelSource>> OPEN = new LinkedHashMap<>();

    @BeforeAll
    static void generate() throws IOException {
        families = ExampleFamilies.create(tmp.resolve("families"));
        for (Family f : families) {
            Map<String, ModelSource> m = new LinkedHashMap<>();
            for (String ph : List.of("BASE", "FT1", "FT2", "FT3")) {
                m.put(ph, ModelSource.open(f.model(ph), ph));
            }
            OPEN.put(f.name(), m);
        }
    }

    @AfterAll
    static void close() {
        OPEN.values().forEach(m -> m.values().forEach(ModelSource::close));
    }

    // ---------------------------------------------------------------- the examples, resolved by hand

    /** How one example's output tensor is expected to come about. */
    interface Expect {
        Want want(Ctx c, String out);
    }

    /**
     * @param file      the recipe under src/test/resources/mergekit-examples
     * @param outDtype  the dtype the recipe asks for (out_dtype, else dtype), or null for the parents'
     * @param parents   the models read, base first then in order of appearance (the model card's list)
     * @param base      the base placeholder or null
     * @param tokenizer where tokenizer files must come from
     * @param layers    the output's layer count
     * @param skip      family names the example does not run on
     * @param names     the expected output tensor names for a family
     */
    record Example(String file, DType outDtype, List<String> parents, String base, String tokenizer, int layers,
            Set<String> skip, java.util.function.Function<Family, List<String>> names, Expect expect) {
        @Override
        public String toString() {
            return file;
        }
    }

    static final int L = ExampleFamilies.LAYERS;

    static List<Example> examples() {
        List<Example> ex = new ArrayList<>();
        Expect gradientSlerp = (c, out) -> {
            double t = 0.5;
            if (out.contains("self_attn")) {
                t = Reference.gradient(tAll(out), 0, 0.5, 0.3, 0.7, 1);
            } else if (out.contains("mlp")) {
                t = Reference.gradient(tAll(out), 1, 0.5, 0.7, 0.3, 0);
            }
            Reference.Cut in = c.common(out, "BASE", "FT1");
            return Want.of(in.shape(), Reference.slerp(in.data().get(0), in.data().get(1), t));
        };
        ex.add(std("gradient-slerp.yml", DType.F16, List.of("BASE", "FT1"), "BASE", gradientSlerp));
        ex.add(std("gradient-slerp-models.yml", DType.F16, List.of("BASE", "FT1"), "BASE", gradientSlerp));

        ex.add(std("ties.yml", DType.F16, List.of("BASE", "FT1", "FT2", "FT3"), "BASE", (c, out) -> {
            double t = tAll(out);
            double[] w = {1.0, Reference.gradient(t, 0, 0.3, 0.7, 1), out.contains("mlp") ? 0.5 : 0};
            double[] density = {Reference.gradient(t, 1, 0.7, 0.1), 0.5, 0.33};
            return c.ties(out, List.of("FT1", "FT2", "FT3"), w, density, null, true, true, 1.0);
        }));
        ex.add(std("ties-unnormalized.yml", DType.BF16, List.of("BASE", "FT1", "FT2"), "BASE",
                (c, out) -> c.ties(out, List.of("FT1", "FT2"), new double[] {0.5, 0.5}, new double[] {0.5, 0.5}, null, true, false, 1.0)));

        ex.add(std("linear.yml", DType.F16, List.of("FT1", "FT2", "FT3"), null, (c, out) -> {
            Reference.Cut in = c.common(out, "FT1", "FT2", "FT3");
            return Want.of(in.shape(), Reference.linear(in.data(), new double[] {1.0, 0.3, 0.5}, true));
        }));

        // Passthrough stacking: the layer map is written out by hand.
        ex.add(new Example("orcamini-platy-passthrough.yml", DType.F16, List.of("FT1", "FT2"), null, "FT1", 10,
                Set.of("mixed-vocab-and-tied"), f -> names(10, !f.tiedModel("FT2")), (c, out) -> {
                    int layer = layerOf(out);
                    if (layer < 0) {
                        return c.copy(out.startsWith("model.embed") ? "FT1" : "FT2", out, 1.0);
                    }
                    return layer < 5 ? c.copy("FT1", out, 1.0) : c.copy("FT2", rename(out, layer - 5 + 3), 1.0);
                }));
        ex.add(new Example("bakllama-passthrough.yml", DType.BF16, List.of("FT1"), null, "FT1", 12, Set.of(),
                f -> names(12, !f.tiedModel("FT1")), (c, out) -> {
                    int layer = layerOf(out);
                    if (layer < 6) {
                        return c.copy("FT1", out, 1.0);
                    }
                    if (layer < 10) {
                        double scale = out.contains("o_proj") || out.contains("down_proj") ? 0.0 : 1.0;
                        return c.copy("FT1", rename(out, layer - 6 + 2), scale);
                    }
                    return c.copy("FT1", rename(out, layer - 10 + 6), 1.0);
                }));

        ex.add(std("dare_ties.yml", DType.BF16, List.of("BASE", "FT1", "FT2", "FT3"), "BASE", (c, out) -> c.direct("dare_ties", out,
                List.of(c.base("BASE"), c.in("FT1", "density", 0.53, "weight", 0.4), c.in("FT2", "density", 0.53, "weight", 0.3),
                        c.in("FT3", "density", 0.53, "weight", 0.3)),
                Map.of("int8_mask", true))));

        ex.add(std("model_stock.yml", DType.BF16, List.of("BASE", "FT1", "FT2", "FT3"), "BASE", (c, out) -> {
            Reference.Cut in = c.common(out, "BASE", "FT1", "FT2", "FT3");
            return Want.of(in.shape(), Reference.modelStock(in.data().get(0), in.data().subList(1, 4), in.data().get(0).length));
        }));
        ex.add(std("model_stock-filter-wise.yml", null, List.of("BASE", "FT1", "FT2"), "BASE", (c, out) -> {
            Reference.Cut in = c.common(out, "BASE", "FT1", "FT2");
            int row = (int) in.shape()[in.shape().length - 1];
            return Want.of(in.shape(), Reference.modelStock(in.data().get(0), in.data().subList(1, 3), row));
        }));

        ex.add(std("della.yml", DType.BF16, List.of("BASE", "FT1", "FT2"), "BASE", (c, out) -> c.direct("della", out,
                List.of(c.in("FT1", "weight", 0.6, "density", 0.5, "epsilon", 0.1), c.in("FT2", "weight", 0.4, "density", 0.6, "epsilon", 0.15),
                        c.base("BASE")),
                Map.of("lambda", 1.1, "normalize", true))));
        ex.add(std("della_linear.yml", DType.F32, List.of("BASE", "FT1", "FT2"), "BASE", (c, out) -> c.direct("della_linear", out,
                List.of(c.in("FT1", "weight", 0.5, "density", 0.7, "epsilon", 0.2), c.in("FT2", "weight", 0.5, "density", 0.7, "epsilon", 0.2),
                        c.base("BASE")),
                Map.of("lambda", 1.0))));

        ex.add(std("breadcrumbs.yml", DType.BF16, List.of("BASE", "FT1", "FT2", "FT3"), "BASE", (c, out) -> c.ties(out,
                List.of("FT1", "FT2", "FT3"), new double[] {1.0, 0.5, 0.7}, new double[] {0.9, 0.9, 0.9}, new double[] {0.01, 0.01, 0.02},
                false, false, 1.0)));
        ex.add(std("breadcrumbs_ties.yml", DType.F16, List.of("BASE", "FT1", "FT2"), "BASE", (c, out) -> c.ties(out,
                List.of("FT1", "FT2"), new double[] {0.6, 0.4}, new double[] {0.8, Reference.gradient(tAll(out), 0.9, 0.6)},
                new double[] {0.05, 0.05}, true, true, 1.0)));

        ex.add(std("nuslerp.yml", DType.BF16, List.of("BASE", "FT1", "FT2"), "BASE", (c, out) -> c.direct("nuslerp", out,
                List.of(c.in("FT1", "weight", 0.7), c.in("FT2", "weight", 0.3), c.base("BASE")),
                Map.of("nuslerp_flatten", false, "nuslerp_row_wise", false))));
        ex.add(std("nuslerp-no-base.yml", DType.F32, List.of("FT1", "FT3"), null, (c, out) -> c.direct("nuslerp", out,
                List.of(c.in("FT1", "weight", 0.5), c.in("FT3", "weight", Reference.gradient(tAll(out), 0.2, 0.8))), Map.of())));
        ex.add(std("multislerp.yml", DType.BF16, List.of("BASE", "FT1", "FT2", "FT3"), "BASE", (c, out) -> c.direct("multislerp", out,
                List.of(c.in("FT1", "weight", 1.0), c.in("FT2", "weight", 0.5), c.in("FT3", "weight", 0.5), c.base("BASE")),
                Map.of("normalize_weights", true))));
        ex.add(std("karcher.yml", DType.BF16, List.of("FT1", "FT2", "FT3"), null, (c, out) -> c.direct("karcher", out,
                List.of(c.in("FT1"), c.in("FT2"), c.in("FT3")), Map.of("max_iter", 20L, "tol", 1.0e-6))));
        ex.add(std("sce.yml", DType.BF16, List.of("BASE", "FT1", "FT2", "FT3"), "BASE", (c, out) -> c.direct("sce", out,
                List.of(c.in("FT1"), c.in("FT2"), c.in("FT3"), c.base("BASE")), Map.of("select_topk", 0.1))));
        ex.add(std("nearswap.yml", DType.F32, List.of("BASE", "FT1"), "BASE", (c, out) -> {
            Reference.Cut in = c.common(out, "BASE", "FT1");
            double t = out.contains("self_attn") ? 0.0005 : 0.002;
            return Want.of(in.shape(), Reference.nearswap(in.data().get(0), in.data().get(1), t));
        }));
        ex.add(std("arcee_fusion.yml", DType.BF16, List.of("BASE", "FT1"), "BASE", (c, out) -> c.direct("arcee_fusion", out,
                List.of(c.base("BASE"), c.in("FT1")), Map.of())));

        ex.add(std("task_arithmetic.yml", DType.F32, List.of("BASE", "FT1", "FT2", "FT3"), "BASE", (c, out) -> c.ties(out,
                List.of("FT1", "FT2", "FT3"), new double[] {1.0, Reference.gradient(tAll(out), 0.2, 0.6), -0.3}, new double[] {1, 1, 1}, null,
                false, false, 0.8)));
        ex.add(std("task_arithmetic-slices.yml", DType.F32, List.of("BASE", "FT1", "FT2"), "BASE", (c, out) -> {
            // Slice 0 holds output layers 0-3 and the embeddings; slice 1 layers 4-7, the final norm and head.
            int layer = layerOf(out);
            boolean first = layer >= 0 ? layer < 4 : out.startsWith("model.embed");
            double t = layer < 0 ? 0 : (layer % 4) / 3.0;
            double w1 = first ? (out.contains("mlp") ? 0.9 : 0.4) : 0.25;
            double w2 = first ? 0.4 : Reference.gradient(t, 1.0, 0.0);
            double lambda = out.contains("self_attn") ? 1.5 : 1.0;
            return c.ties(out, List.of("FT1", "FT2"), new double[] {w1, w2}, new double[] {1, 1}, null, false, false, lambda);
        }));
        ex.add(new Example("linear-tokenizer-source.yml", DType.F32, List.of("BASE", "FT1"), "BASE", "FT1", L, Set.of(),
                f -> names(L, !f.tiedModel("BASE")), (c, out) -> {
                    if (!ExampleFamilies.isVocab(out)) {
                        Reference.Cut in = c.common(out, "BASE", "FT1");
                        return Want.of(in.shape(), Reference.linear(in.data(), new double[] {0.5, 0.5}, true));
                    }
                    // The output vocabulary is FT1's (mergekit's tokenizer_source): a row only FT1 has is
                    // FT1's row in every input, so the normalised average is that row.
                    long rows = c.fam.vocab("FT1");
                    float[] b = c.data("BASE", out);
                    float[] f1 = c.data("FT1", out);
                    int h = (int) c.shape("BASE", out)[1];
                    double[] v = new double[(int) rows * h];
                    for (int j = 0; j < v.length; j++) {
                        v[j] = j < b.length ? 0.5 * b[j] + 0.5 * f1[j] : f1[j];
                    }
                    return Want.of(new long[] {rows, h}, v);
                }));
        ex.add(new Example("slerp-tokenizer-base.yml", DType.BF16, List.of("BASE", "FT2"), "BASE", "BASE", L, Set.of(),
                f -> names(L, !f.tiedModel("BASE")), (c, out) -> {
                    Reference.Cut in = c.common(out, "BASE", "FT2");
                    return Want.of(in.shape(), Reference.slerp(in.data().get(0), in.data().get(1), 0.35));
                }));
        ex.add(std("modules-linear.yml", DType.F32, List.of("FT1", "FT2", "FT3"), null, (c, out) -> {
            Reference.Cut in = c.common(out, "FT1", "FT2", "FT3");
            double w3 = out.contains("embed_tokens") ? 0.0 : 0.5;
            return Want.of(in.shape(), Reference.linear(in.data(), new double[] {1.0, 0.5, w3}, true));
        }));
        return ex;
    }

    /** An example over all layers whose output has the reference parent's tensor names. */
    static Example std(String file, DType outDtype, List<String> parents, String base, Expect e) {
        String reference = base != null ? base : parents.getFirst();
        return new Example(file, outDtype, parents, base, reference, L, Set.of(), f -> names(L, !f.tiedModel(reference)), e);
    }

    static List<String> names(int layers, boolean head) {
        List<String> n = new ArrayList<>();
        n.add("model.embed_tokens.weight");
        for (int l = 0; l < layers; l++) {
            for (String s : List.of("input_layernorm", "mlp.down_proj", "mlp.gate_proj", "mlp.up_proj", "post_attention_layernorm",
                    "self_attn.k_proj", "self_attn.o_proj", "self_attn.q_proj", "self_attn.v_proj")) {
                n.add("model.layers." + l + "." + s + ".weight");
            }
        }
        n.add("model.norm.weight");
        if (head) {
            n.add("lm_head.weight");
        }
        return n;
    }

    static int layerOf(String name) {
        if (!name.startsWith("model.layers.")) {
            return -1;
        }
        return Integer.parseInt(name.split("\\.")[2]);
    }

    static String rename(String name, int layer) {
        return name.replaceFirst("^model\\.layers\\.\\d+\\.", "model.layers." + layer + ".");
    }

    /** Layer position of a tensor in the single slice over all layers; non-layer weights sit at t = 0. */
    static double tAll(String name) {
        int layer = layerOf(name);
        return layer < 0 ? 0 : layer / (double) (L - 1);
    }

    // ---------------------------------------------------------------- per-run context

    /** The parents of one family, as a test reads them (not through the planner). */
    static final class Ctx {
        final Family fam;
        final Map<String, ModelSource> src;

        Ctx(Family fam) {
            this.fam = fam;
            this.src = OPEN.get(fam.name());
        }

        /** mergekit's rule for a tied head: a model without lm_head.weight reads its embeddings. */
        String resolveName(String ph, String name) {
            if (src.get(ph).tensor(name) == null && name.equals("lm_head.weight")) {
                return "model.embed_tokens.weight";
            }
            return name;
        }

        float[] data(String ph, String name) {
            TensorRef t = src.get(ph).tensor(resolveName(ph, name));
            if (t == null) {
                throw new AssertionError(ph + " has no " + name);
            }
            float[] v = new float[(int) t.numel()];
            Codecs.decode(t.dtype(), t.data(), 0, v, 0, v.length);
            return v;
        }

        long[] shape(String ph, String name) {
            return src.get(ph).tensor(resolveName(ph, name)).shape();
        }

        /** The common top-left block of all the models' tensors (is_embed rectification). */
        Reference.Cut common(String name, String... phs) {
            long[] s = shape(phs[0], name).clone();
            for (String ph : phs) {
                long[] o = shape(ph, name);
                for (int d = 0; d < s.length; d++) {
                    s[d] = Math.min(s[d], o[d]);
                }
            }
            return cutTo(name, s, phs);
        }

        /** Every model's tensor cut to the base's (the task-arithmetic family's embedding rule). */
        Reference.Cut toBase(String name, String base, String... others) {
            List<String> all = new ArrayList<>();
            all.add(base);
            all.addAll(List.of(others));
            return cutTo(name, shape(base, name), all.toArray(String[]::new));
        }

        private Reference.Cut cutTo(String name, long[] s, String... phs) {
            List<float[]> data = new ArrayList<>();
            for (String ph : phs) {
                data.add(Reference.block(data(ph, name), shape(ph, name), s));
            }
            return new Reference.Cut(s, data);
        }

        Want copy(String ph, String name, double scale) {
            float[] v = data(ph, name);
            double[] out = new double[v.length];
            for (int j = 0; j < v.length; j++) {
                out[j] = v[j] * scale;
            }
            return Want.of(shape(ph, name), out);
        }

        /**
         * The task-arithmetic family recomputed: per-model selection (magnitude, or outliers when
         * {@code gamma} is given), sum consensus, normalisation, λ.
         */
        Want ties(String out, List<String> models, double[] w, double[] density, double[] gamma, boolean consensus, boolean normalize,
                double lambda) {
            String[] others = models.toArray(String[]::new);
            Reference.Cut in = toBase(out, "BASE", others);
            float[] base = in.data().getFirst();
            List<float[]> deltas = new ArrayList<>();
            List<byte[]> keep = new ArrayList<>();
            for (int i = 0; i < others.length; i++) {
                float[] d = Reference.delta(in.data().get(i + 1), base);
                deltas.add(d);
                keep.add(gamma == null ? Reference.magnitude(d, density[i]) : Reference.outliers(d, density[i], gamma[i]));
            }
            return Reference.taskArithmetic(in.shape(), base, deltas, w, keep, consensus, normalize, lambda);
        }

        record In(String ph, boolean isBase, Map<String, Object> params) {
        }

        In base(String ph) {
            return new In(ph, true, Map.of());
        }

        In in(String ph, Object... kv) {
            Map<String, Object> p = new LinkedHashMap<>();
            for (int i = 0; i < kv.length; i += 2) {
                p.put((String) kv[i], kv[i + 1]);
            }
            return new In(ph, false, p);
        }

        /** The registered method called directly on the inputs, in the order the recipe implies, seed 0. */
        Want direct(String methodName, String out, List<In> ins, Map<String, Object> global) {
            MergeMethod m = MethodRegistry.get(methodName);
            List<TensorInput> inputs = new ArrayList<>();
            for (In in : ins) {
                inputs.add(new TensorInput(in.ph(), data(in.ph(), out), shape(in.ph(), out), in.isBase(),
                        Params.forModel(m.spec(), in.params(), in.ph(), out)));
            }
            TensorMerge job = new TensorMerge(out, ExampleFamilies.isVocab(out), inputs, Params.global(m.spec(), global, out), 0L, w -> { });
            float[] v = m.merge(job);
            double[] d = new double[v.length];
            for (int j = 0; j < v.length; j++) {
                d[j] = v[j];
            }
            return new Want(m.outputShape(job), d, Map.of(), true);
        }
    }

    // ---------------------------------------------------------------- running and checking


    static String recipeText(String file, Family f) throws IOException {
        try (InputStream in = MergekitExamplesTest.class.getResourceAsStream("/mergekit-examples/" + file)) {
            if (in == null) {
                throw new AssertionError("missing resource " + file);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // Model names are swapped for local paths; nothing else in the recipe changes.
            for (String ph : List.of("BASE", "FT1", "FT2", "FT3")) {
                text = text.replaceAll("\\b" + ph + "\\b", f.model(ph).toString());
            }
            return text;
        }
    }

    static Stream<Arguments> runs() {
        List<Arguments> out = new ArrayList<>();
        for (Example e : examples()) {
            for (String fam : List.of("f32-sharded", "bf16", "tied", "mixed-vocab-and-tied")) {
                if (!e.skip().contains(fam)) {
                    out.add(Arguments.of(e, fam));
                }
            }
        }
        return out.stream();
    }

    @Test
    void everyRecipeResourceHasAnExample() throws IOException {
        Set<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/mergekit-examples"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).forEach(files::add);
        }
        Set<String> covered = new TreeSet<>();
        examples().forEach(e -> covered.add(e.file()));
        assertEquals(files, covered);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("runs")
    void exampleRunsAndEveryTensorMatches(Example ex, String famName) throws Exception {
        Family fam = families.stream().filter(f -> f.name().equals(famName)).findFirst().orElseThrow();
        Path dir = tmp.resolve("runs").resolve(famName);
        Files.createDirectories(dir);
        String text = recipeText(ex.file(), fam);
        Path recipe = dir.resolve(ex.file());
        Files.writeString(recipe, text);
        Path outDir = dir.resolve(ex.file().replace(".yml", ""));
        Run run = cli("merge", recipe.toString(), outDir.toString(), "--quiet", "--threads", "2", "--out-shard-size", "120kB");
        assertEquals(0, run.code(), run.err());

        Ctx c = new Ctx(fam);
        DType outType = ex.outDtype() != null ? ex.outDtype() : fam.dtype();
        List<String> expectedNames = ex.names().apply(fam);
        try (ModelSource out = ModelSource.open(outDir, "out")) {
            assertEquals(new TreeSet<>(expectedNames), new TreeSet<>(out.tensors().keySet()), "output tensor names");
            for (String name : expectedNames) {
                TensorRef t = out.tensor(name);
                Want want = ex.expect().want(c, name);
                assertEquals(outType, t.dtype(), name);
                assertArrayEquals(want.shape(), t.shape(), name);
                float[] got = new float[(int) t.numel()];
                Codecs.decode(t.dtype(), t.data(), 0, got, 0, got.length);
                compare(name, want, got, outType);
            }
            checkFolder(ex, fam, outDir, text, out, outType);
        }
        checkWarnings(ex, fam, run.err());
    }

    /** Exact after rounding to the output dtype for routing checks; otherwise the dtype's rounding plus float32 slack. */
    static void compare(String name, Want want, float[] got, DType outType) {
        assertEquals(want.value().length, got.length, name);
        if (want.exact()) {
            float[] f = new float[got.length];
            for (int j = 0; j < f.length; j++) {
                f[j] = (float) want.value()[j];
            }
            float[] rounded = roundTo(outType, f);
            for (int j = 0; j < got.length; j++) {
                if (Float.floatToIntBits(rounded[j]) != Float.floatToIntBits(got[j])) {
                    fail(name + "[" + j + "]: engine " + got[j] + " but the method called directly gives " + rounded[j]);
                }
            }
            return;
        }
        int bad = 0;
        String first = null;
        for (int j = 0; j < got.length; j++) {
            if (close(want.value()[j], got[j], outType)) {
                continue;
            }
            double[] alt = want.alternatives().get(j);
            boolean ok = false;
            if (alt != null) {
                for (double a : alt) {
                    ok |= close(a, got[j], outType);
                }
            }
            if (!ok) {
                bad++;
                if (first == null) {
                    first = name + "[" + j + "]: expected " + want.value()[j] + (alt != null ? " or one of " + Arrays.toString(alt) : "")
                            + ", got " + got[j];
                }
            }
        }
        if (bad > 0) {
            fail(bad + " of " + got.length + " values differ; first " + first);
        }
    }

    static boolean close(double want, float got, DType t) {
        float w = (float) want;
        double ulp = switch (t) {
            case BF16 -> Math.ulp(w) * 65536.0;
            case F16 -> Math.max(Math.ulp(w) * 8192.0, 6e-8);
            default -> 0;
        };
        return Math.abs(want - got) <= ulp + 1e-6 + 1e-5 * Math.abs(want);
    }

    static float[] roundTo(DType t, float[] v) {
        if (t == DType.F32) {
            return v;
        }
        ByteBuffer buf = ByteBuffer.allocate(v.length * t.size());
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        Codecs.encode(t, v, 0, v.length, seg, 0);
        float[] back = new float[v.length];
        Codecs.decode(t, seg, 0, back, 0, v.length);
        return back;
    }

    /** config.json, tokenizer files, recipe copy, model card front matter and the shards' recipe hash. */
    static void checkFolder(Example ex, Family fam, Path outDir, String text, ModelSource out, DType outType) throws Exception {
        JsonNode cfg = JSON.readTree(outDir.resolve("config.json").toFile());
        assertEquals(ex.layers(), cfg.get("num_hidden_layers").asInt(), "num_hidden_layers");
        assertEquals(switch (outType) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new AssertionError(outType);
        }, cfg.get("torch_dtype").asText(), "torch_dtype");
        assertEquals(out.tensor("model.embed_tokens.weight").shape()[0], cfg.get("vocab_size").asLong(), "vocab_size");
        if (out.tensor("lm_head.weight") != null) {
            assertEquals(cfg.get("vocab_size").asLong(), out.tensor("lm_head.weight").shape()[0], "lm_head rows");
        }
        // The config's tie flag must describe the written tensors.
        assertEquals(out.tensor("lm_head.weight") == null, cfg.path("tie_word_embeddings").asBoolean(false), "tie_word_embeddings");

        Path tokSource = fam.model(ex.tokenizer());
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            assertArrayEquals(Files.readAllBytes(tokSource.resolve(f)), Files.readAllBytes(outDir.resolve(f)), f + " from " + ex.tokenizer());
        }

        assertEquals(text, Files.readString(outDir.resolve("mergelab_recipe.yml")));

        String card = Files.readString(outDir.resolve("README.md"));
        assertTrue(card.startsWith("---\n"), card);
        String front = card.substring(4, card.indexOf("\n---", 4));
        List<String> lines = front.lines().toList();
        // The parents are local folders, not Hub ids: the Hub's base_model keys are left out, the text lists them.
        assertFalse(lines.contains("base_model:"), front);
        List<String> parentLines = card.substring(card.indexOf("## Parents\n\n")).lines().skip(2).takeWhile(l -> l.startsWith("- ")).toList();
        for (String parent : ex.parents()) {
            String path = "- " + fam.model(parent);
            assertTrue(parentLines.contains(path) || parentLines.contains(path + " (base)"), parent + " in " + parentLines);
        }
        int tags = lines.indexOf("tags:");
        assertTrue(tags >= 0 && lines.subList(tags + 1, lines.size()).contains("- merge"), front);

        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        int shards = 0;
        try (Stream<Path> s = Files.list(outDir)) {
            for (Path p : s.filter(x -> x.toString().endsWith(".safetensors")).toList()) {
                assertEquals(sha, metadata(p).path("mergelab_recipe_sha256").asText(), p.toString());
                shards++;
            }
        }
        assertTrue(shards > 1, "a 120 kB shard limit gives several shards");
    }

    /** The __metadata__ object of a safetensors file, read straight from its header. */
    static JsonNode metadata(Path file) throws IOException {
        try (var ch = Files.newByteChannel(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len);
            ByteBuffer header = ByteBuffer.allocate((int) len.flip().getLong());
            while (header.hasRemaining() && ch.read(header) > 0) {
                // read the whole header
            }
            return JSON.readTree(new String(header.array(), StandardCharsets.UTF_8)).path("__metadata__");
        }
    }

    /** Vocabulary cuts and tied-head fallbacks are never silent. */
    static void checkWarnings(Example ex, Family fam, String err) {
        if (!fam.mixed()) {
            return;
        }
        boolean passthrough = ex.file().contains("passthrough");
        if (!passthrough && ex.parents().contains("FT1") && ex.parents().size() > 1) {
            String big = "[" + fam.vocab("FT1") + ", 64]";
            assertTrue(err.lines().anyMatch(l -> l.contains("model.embed_tokens.weight") && l.contains(big)),
                    "no warning about FT1's extra vocabulary rows:\n" + err);
        }
        if (ex.parents().contains("FT2") && ex.names().apply(fam).contains("lm_head.weight")) {
            assertTrue(err.contains("lm_head.weight") && err.contains("tied"), "no warning about FT2's tied head:\n" + err);
        }
    }


    // ---------------------------------------------------------------- engine behaviours the issue names

    static Family fam(String name) {
        return families.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
    }

    static Path writeRecipe(String name, String yaml, Family f) throws IOException {
        Path dir = tmp.resolve("recipes");
        Files.createDirectories(dir);
        String text = yaml;
        for (String ph : List.of("BASE", "FT1", "FT2", "FT3")) {
            text = text.replaceAll("\\b" + ph + "\\b", f.model(ph).toString());
        }
        Path p = dir.resolve(name + ".yml");
        Files.writeString(p, text);
        return p;
    }

    /** Parses "path:tensor (base) {k=v, ...}" entries of a --dry-run input list. */
    static Map<String, Map<String, String>> dryRunInputs(String line) {
        String list = line.substring(line.indexOf(" [") + 2, line.length() - 1);
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        var m = java.util.regex.Pattern.compile("([^ ,:]+):([^ ,]+)( \\(base\\))?( \\{([^}]*)\\})?").matcher(list);
        while (m.find()) {
            Map<String, String> params = new LinkedHashMap<>();
            if (m.group(5) != null) {
                for (String kv : m.group(5).split(", ")) {
                    params.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                }
            }
            if (m.group(3) != null) {
                params.put("(base)", "true");
            }
            params.put("(tensor)", m.group(2));
            out.put(m.group(1), params);
        }
        return out;
    }

    @Test
    void dryRunNamesEveryTensorsInputsMethodAndResolvedParameters() throws Exception {
        Family f = fam("f32-sharded");
        Path recipe = tmp.resolve("dry-ties.yml");
        Files.writeString(recipe, recipeText("ties.yml", f));
        Path out = tmp.resolve("dry-out");
        Run run = cli("merge", recipe.toString(), "--dry-run");
        assertEquals(0, run.code(), run.err());
        assertFalse(Files.exists(out));
        List<String> lines = run.out().lines().toList();
        List<String> expected = names(L, true);
        assertEquals(expected.size() + 1, lines.size(), run.out());
        for (String name : expected) {
            assertEquals(1, lines.stream().filter(l -> l.startsWith(name + " ")).count(), name);
        }
        String[] fts = {f.model("FT1").toString(), f.model("FT2").toString(), f.model("FT3").toString()};
        for (String name : List.of("model.layers.7.mlp.up_proj.weight", "model.layers.0.self_attn.q_proj.weight", "model.embed_tokens.weight")) {
            String line = lines.stream().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow();
            long[] shape = OPEN.get(f.name()).get("BASE").tensor(name).shape();
            assertTrue(line.startsWith(name + " F16" + Arrays.toString(shape) + " <- ties {int8_mask=true, normalize=true} ["), line);
            Map<String, Map<String, String>> ins = dryRunInputs(line);
            assertEquals(List.of(fts[0], fts[1], fts[2], f.model("BASE").toString()), new ArrayList<>(ins.keySet()), line);
            double t = tAll(name);
            double[] w = {1.0, Reference.gradient(t, 0, 0.3, 0.7, 1), name.contains("mlp") ? 0.5 : 0};
            double[] d = {Reference.gradient(t, 1, 0.7, 0.1), 0.5, 0.33};
            for (int i = 0; i < 3; i++) {
                Map<String, String> p = ins.get(fts[i]);
                assertEquals(name, p.get("(tensor)"));
                assertEquals(w[i], Double.parseDouble(p.get("weight")), 1e-12, line);
                assertEquals(d[i], Double.parseDouble(p.get("density")), 1e-12, line);
                assertFalse(p.containsKey("(base)"), line);
            }
            assertEquals(Map.of("(base)", "true", "(tensor)", name), ins.get(f.model("BASE").toString()), line);
        }
        String plan = lines.getLast();
        long params = 0;
        for (String name : expected) {
            params += Reference.numel(OPEN.get(f.name()).get("BASE").tensor(name).shape());
        }
        assertTrue(plan.startsWith("plan: ties, " + expected.size() + " tensors, " + String.format("%,d", params) + " parameters, "), plan);
        assertTrue(plan.contains(" to write (") && plan.endsWith(L + " layers"), plan);
    }

    @Test
    void layerRangeOutsideAModelNamesTheRecipeLine() throws Exception {
        Path r = writeRecipe("range", """
                slices:
                  - sources:
                      - model: FT1
                        layer_range: [0, 12]
                merge_method: passthrough
                """, fam("f32-sharded"));
        Run run = cli("merge", r.toString(), tmp.resolve("out-range").toString(), "--quiet");
        assertEquals(2, run.code(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains(r + ":4: layer_range [0, 12]") && run.err().contains(L + " layers"), run.err());
        assertFalse(Files.exists(tmp.resolve("out-range")));
    }

    @Test
    void shapeMismatchBetweenParentsNamesTensorAndModels() throws Exception {
        Path other = tmp.resolve("wider");
        dev.mergelab.synth.FamilyGenerator.generate(new dev.mergelab.synth.FamilySpec(L, 64, 192, 4, 2, 256, DType.F32, 1, 1L << 30, false, 3),
                other, 2);
        Family f = fam("f32-sharded");
        // Task arithmetic methods would skip the model silently upstream; MergeLab refuses, like every other method.
        for (String method : List.of("linear", "ties")) {
            Path r = writeRecipe("shape-" + method, """
                    merge_method: %s
                    %s
                    models:
                      - model: FT1
                        parameters: {weight: 0.5%s}
                      - model: %s
                        parameters: {weight: 0.5}
                    """.formatted(method, method.equals("ties") ? "base_model: BASE" : "", method.equals("ties") ? ", density: 0.5" : "",
                    other.resolve("ft1")), f);
            Run run = cli("merge", r.toString(), tmp.resolve("out-shape").toString(), "--quiet");
            assertEquals(2, run.code(), run.err());
            assertEquals(1, run.err().strip().lines().count(), run.err());
            String e = run.err();
            assertTrue(e.contains("model.layers.0.mlp.down_proj.weight") && e.contains("[64, 160]") && e.contains("[64, 192]")
                    && e.contains(other.resolve("ft1").toString()) && (e.contains(f.model("BASE").toString()) || e.contains(f.model("FT1").toString())), e);
            assertFalse(Files.exists(tmp.resolve("out-shape")));
        }
    }

    @Test
    void parentMissingARequiredTensorIsAnErrorNamingModelTensorAndLine() throws Exception {
        Family f = fam("f32-sharded");
        Path broken = tmp.resolve("broken-ft3");
        ExampleFamilies.copyModel(f.model("FT3"), broken);
        ExampleFamilies.dropTensors(broken, n -> n.equals("model.layers.3.mlp.up_proj.weight"), false);
        Path r = writeRecipe("missing", """
                merge_method: linear
                models:
                  - model: FT1
                    parameters: {weight: 0.5}
                  - model: %s
                    parameters: {weight: 0.5}
                """.formatted(broken), f);
        Run run = cli("merge", r.toString(), tmp.resolve("out-missing").toString(), "--quiet");
        assertEquals(2, run.code(), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains(r + ":5:") && run.err().contains(broken + " has no tensor model.layers.3.mlp.up_proj.weight"), run.err());
    }

    @Test
    void aTensorOnlyAnotherParentHasIsReportedNotSilentlyDropped() throws Exception {
        Family f = fam("f32-sharded");
        Path extra = tmp.resolve("extra-ft2");
        ExampleFamilies.copyModel(f.model("FT2"), extra);
        ExampleFamilies.rewrite(extra, n -> false, (n, s) -> s, Map.of("model.layers.2.self_attn.q_proj.bias", new long[] {64}));
        Path r = writeRecipe("extra", """
                merge_method: linear
                models:
                  - model: FT1
                    parameters: {weight: 0.5}
                  - model: %s
                    parameters: {weight: 0.5}
                """.formatted(extra), f);
        Path out = tmp.resolve("out-extra");
        Run run = cli("merge", r.toString(), out.toString(), "--quiet");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().lines().anyMatch(l -> l.contains(extra.toString()) && l.contains("model.layers.2.self_attn.q_proj.bias")), run.err());
        // Stacking leaves other slices' embeddings and heads unread on purpose: no warning there.
        Path stack = writeRecipe("stack", recipeText("orcamini-platy-passthrough.yml", f), f);
        Run quiet = cli("merge", stack.toString(), tmp.resolve("out-stack").toString(), "--quiet");
        assertEquals(0, quiet.code(), quiet.err());
        assertFalse(quiet.err().contains("does not include"), quiet.err());
    }

    @Test
    void modelAtRevisionReadsThatRevisionFromTheHubCache() throws Exception {
        Family f = fam("f32-sharded");
        Path cache = tmp.resolve("hub");
        Path repo = cache.resolve("models--org--tiny");
        String hashA = "a".repeat(40);
        String hashB = "b".repeat(40);
        ExampleFamilies.copyModel(f.model("FT1"), repo.resolve("snapshots").resolve(hashA));
        ExampleFamilies.copyModel(f.model("FT2"), repo.resolve("snapshots").resolve(hashB));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), hashA);
        Files.writeString(repo.resolve("refs/v2"), hashB);
        String yaml = """
                merge_method: linear
                models:
                  - model: org/tiny@v2
                    parameters: {weight: 0.25}
                  - model: org/tiny
                    parameters: {weight: 0.75}
                  - model: org/tiny@%s
                    parameters: {weight: 0.0}
                dtype: float32
                """.formatted(hashB.substring(0, 10));
        dev.mergelab.recipe.Recipe recipe = dev.mergelab.recipe.Recipe.parse(yaml, "rev.yml");
        Path out = tmp.resolve("out-rev");
        var opener = Models.opener(new dev.mergelab.model.ModelResolver(new dev.mergelab.model.HubCache(cache)));
        try (var session = dev.mergelab.engine.MergeSession.open(recipe, opener, w -> { })) {
            session.writeFolder(out, new dev.mergelab.engine.MergeRun.Options(2, 64L << 20, 1L << 30, 0, false, false),
                    dev.mergelab.engine.ProgressListener.NONE);
        }
        Ctx c = new Ctx(f);
        try (ModelSource o = ModelSource.open(out, "out")) {
            for (String name : names(L, true)) {
                float[] got = new float[(int) o.tensor(name).numel()];
                Codecs.decode(o.tensor(name).dtype(), o.tensor(name).data(), 0, got, 0, got.length);
                double[] want = Reference.linear(List.of(c.data("FT2", name), c.data("FT1", name), c.data("FT2", name)),
                        new double[] {0.25, 0.75, 0.0}, true);
                compare(name, Want.of(o.tensor(name).shape(), want), got, DType.F32);
            }
        }
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.contains("- org/tiny@v2\n- org/tiny\n"), card);
        // The Hub's base_model names repositories: one entry for the three revisions.
        assertTrue(card.startsWith("---\nbase_model:\n- org/tiny\nbase_model_relation: merge\n"), card);
    }

}
