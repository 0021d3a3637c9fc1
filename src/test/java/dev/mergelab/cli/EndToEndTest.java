package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real CLI on generated families: outputs are checked tensor by tensor against a direct computation
 * written here, independent of the method layer; user errors give one line and the documented exit code.
 */
class EndToEndTest {

    @TempDir
    static Path tmp;
    static Path fam;


    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        // f32 and several shards so the sharded reader and writer are exercised and values compare exactly.
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withShardBytes(200_000), fam, 2);
    }

    static float[] read(ModelSource m, String name) {
        TensorRef t = m.tensor(name);
        float[] v = new float[(int) t.numel()];
        Codecs.decode(t.dtype(), t.data(), 0, v, 0, v.length);
        return v;
    }

    Path recipe(String name, String yaml) throws Exception {
        Path p = tmp.resolve(name + ".yml");
        Files.writeString(p, yaml.replace("FAM", fam.toString()));
        return p;
    }

    @Test
    void taskArithmeticMatchesDirectComputation() throws Exception {
        Path r = recipe("ta", """
                merge_method: task_arithmetic
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.7}
                  - model: FAM/ft2
                    parameters: {weight: [0.2, 0.6]}
                parameters: {lambda: 0.9}
                out_dtype: float32
                """);
        Path out = tmp.resolve("out-ta");
        Run run = cli("merge", r.toString(), out.toString(), "--quiet", "--out-shard-size", "300kB");
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        assertTrue(Files.exists(out.resolve("README.md")) && Files.exists(out.resolve("tokenizer.json")));
        try (ModelSource o = ModelSource.open(out, "out"); ModelSource b = ModelSource.open(fam.resolve("base"), "b");
                ModelSource f1 = ModelSource.open(fam.resolve("ft1"), "f1"); ModelSource f2 = ModelSource.open(fam.resolve("ft2"), "f2")) {
            assertEquals(b.tensors().keySet(), o.tensors().keySet());
            int layers = 4;
            for (String name : b.tensors().keySet()) {
                // ft2's weight is a gradient over layers; embeddings and norm/head sit at t = 0.
                int layer = name.startsWith("model.layers.") ? Integer.parseInt(name.split("\\.")[2]) : 0;
                double t = (double) layer / (layers - 1);
                double w2 = 0.2 + (0.6 - 0.2) * t;
                float[] x = read(o, name);
                float[] bb = read(b, name);
                float[] a1 = read(f1, name);
                float[] a2 = read(f2, name);
                for (int i = 0; i < x.length; i++) {
                    double want = bb[i] + 0.9 * (0.7 * (a1[i] - bb[i]) + w2 * (a2[i] - bb[i]));
                    assertEquals(want, x[i], 1e-6 + 1e-5 * Math.abs(want), name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void passthroughStacksAndRenumbersLayers() throws Exception {
        Path r = recipe("pt", """
                merge_method: passthrough
                slices:
                  - sources:
                      - model: FAM/ft1
                        layer_range: [0, 2]
                  - sources:
                      - model: FAM/ft2
                        layer_range: [1, 4]
                """);
        Path out = tmp.resolve("out-pt");
        Run run = cli("merge", r.toString(), out.toString(), "--quiet");
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"num_hidden_layers\" : 5"));
        try (ModelSource o = ModelSource.open(out, "out"); ModelSource f1 = ModelSource.open(fam.resolve("ft1"), "f1");
                ModelSource f2 = ModelSource.open(fam.resolve("ft2"), "f2")) {
            assertEquals(2 + 1 + 5 * 9, o.tensors().size());
            String w = ".mlp.up_proj.weight";
            assertArrayEqualsExact(read(f1, "model.layers.1" + w), read(o, "model.layers.1" + w));
            assertArrayEqualsExact(read(f2, "model.layers.1" + w), read(o, "model.layers.2" + w));
            assertArrayEqualsExact(read(f2, "model.layers.3" + w), read(o, "model.layers.4" + w));
            assertArrayEqualsExact(read(f1, "model.embed_tokens.weight"), read(o, "model.embed_tokens.weight"));
            assertArrayEqualsExact(read(f2, "lm_head.weight"), read(o, "lm_head.weight"));
        }
    }

    static void assertArrayEqualsExact(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(b[i]), "index " + i);
        }
    }

    @Test
    void userErrorsAreOneLineWithExitCode2AndLeaveNoOutput() throws Exception {
        Path typo = recipe("typo", """
                merge_method: ties
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0, densty: 0.5}
                """);
        Path out = tmp.resolve("out-typo");
        Run run = cli("merge", typo.toString(), out.toString(), "--quiet");
        assertEquals(2, run.code());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("typo.yml:5") && run.err().contains("density"), run.err());
        assertFalse(Files.exists(out));

        Run unknown = cli("merge", recipe("unk", "merge_method: tiez\nmodels:\n  - model: FAM/ft1\n").toString(), out.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("ties"), unknown.err());

        Run missing = cli("merge", recipe("missing", "merge_method: linear\nmodels:\n  - model: FAM/nope\n    parameters: {weight: 1}\n").toString(),
                out.toString());
        assertEquals(2, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertFalse(Files.exists(out));
        // No temporary folder left behind either.
        try (var s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().contains("mergelab-tmp")));
        }
    }

    @Test
    void existingOutputIsRefusedWithoutForce() throws Exception {
        Path r = recipe("lin", """
                merge_method: linear
                models:
                  - model: FAM/ft1
                    parameters: {weight: 1.0}
                """);
        Path out = tmp.resolve("out-exists");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "precious");
        Run run = cli("merge", r.toString(), out.toString(), "--quiet");
        assertEquals(2, run.code());
        assertTrue(run.err().contains("--force"), run.err());
        assertEquals("precious", Files.readString(out.resolve("keep.txt")));
        // --force replaces only MergeLab's own output: a folder holding the user's file stays (issue 11)
        assertEquals(2, cli("merge", r.toString(), out.toString(), "--quiet", "--force").code());
        assertEquals("precious", Files.readString(out.resolve("keep.txt")));
        Files.delete(out.resolve("keep.txt"));
        Files.delete(out);
        assertEquals(0, cli("merge", r.toString(), out.toString(), "--quiet").code());
        assertEquals(0, cli("merge", r.toString(), out.toString(), "--quiet", "--force").code());
        // linear of one model is that model
        try (ModelSource o = ModelSource.open(out, "o"); ModelSource f1 = ModelSource.open(fam.resolve("ft1"), "f1")) {
            assertArrayEqualsExact(read(f1, "model.norm.weight"), read(o, "model.norm.weight"));
        }
    }

    @Test
    void inspectAndCompat() throws Exception {
        Run inspect = cli("inspect", fam.resolve("base").toString(), "--json");
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("\"num_layers\" : 4") && inspect.out().contains("\"format\" : \"safetensors-sharded\""),
                inspect.out());
        Run compat = cli("compat", fam.resolve("ft1").toString(), fam.resolve("ft2").toString(), "--base", fam.resolve("base").toString(),
                "--json");
        assertEquals(0, compat.code(), compat.err());
        assertTrue(compat.out().contains("\"verdict\" : \"merge\""), compat.out());

        Path other = tmp.resolve("other");
        FamilyGenerator.generate(new FamilySpec(4, 64, 160, 4, 2, 300, DType.F32, 1, 1L << 30, false, 99), other, 2);
        Run distill = cli("compat", fam.resolve("ft1").toString(), other.resolve("ft1").toString());
        assertEquals(3, distill.code(), distill.out() + distill.err());
        assertTrue(distill.out().contains("verdict: distill"), distill.out());

        // Same shapes, unrelated weights (a different seed): no shared base.
        Path stranger = tmp.resolve("stranger");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withSeed(7).withFineTunes(1), stranger, 2);
        Run align = cli("compat", stranger.resolve("base").toString(), "--base", fam.resolve("base").toString());
        assertEquals(0, align.code(), align.err());
        assertTrue(align.out().contains("verdict: align"), align.out());
    }

    @Test
    void chunkedExecutionWritesTheSameBytesAsWholeTensors() throws Exception {
        for (String method : new String[] {"linear", "task_arithmetic"}) {
            Path r = recipe("chunk-" + method, """
                    merge_method: METHOD
                    base_model: FAM/base
                    models:
                      - model: FAM/base
                        parameters: {weight: 0.2}
                      - model: FAM/ft1
                        parameters: {weight: 0.5}
                      - model: FAM/ft3
                        parameters: {weight: [0.1, 0.9]}
                    dtype: bfloat16
                    """.replace("METHOD", method));
            Path whole = tmp.resolve("whole-" + method);
            Path chunked = tmp.resolve("chunked-" + method);
            assertEquals(0, cli("merge", r.toString(), whole.toString(), "--quiet").code());
            Run run = cli("merge", r.toString(), chunked.toString(), "--quiet", "--chunk-above", "0", "--chunk-elements", "700");
            assertEquals(0, run.code(), run.err());
            try (var files = Files.list(whole)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                    assertTrue(java.util.Arrays.equals(Files.readAllBytes(f), Files.readAllBytes(chunked.resolve(f.getFileName()))),
                            method + " " + f.getFileName());
                }
            }
        }
    }
}
