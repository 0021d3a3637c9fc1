package dev.mergelab.lora;

import static dev.mergelab.lora.LoraTestSupport.cli;
import static dev.mergelab.lora.LoraTestSupport.maxAbsDiff;
import static dev.mergelab.lora.LoraTestSupport.naiveApply;
import static dev.mergelab.lora.LoraTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.model.ModelSource;
import dev.mergelab.synth.AdapterGenerator;
import dev.mergelab.synth.AdapterGenerator.Module;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lora apply} and {@code BASE+ADAPTER} recipes on generated adapters (several ranks and alphas,
 * rsLoRA, rank/alpha patterns, fan_in_fan_out, embeddings, modules_to_save), checked tensor by tensor
 * against a naive double-precision W + s·B·A written in the test.
 */
class LoraApplyTest {

    @TempDir
    static Path tmp;
    static Path fam;

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withFineTunes(1), fam, 2);
    }

    /** Applies spec through the CLI and checks every tensor; expected holds the adapted tensors' values. */
    void check(String name, AdapterGenerator.Spec spec, Map<String, float[]> expected) throws Exception {
        Path ad = tmp.resolve("ad-" + name);
        AdapterGenerator.write(spec, ad);
        Path out = tmp.resolve("out-" + name);
        LoraTestSupport.Run r = cli("lora", "apply", fam.resolve("base").toString(), ad.toString(), out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(out.resolve("config.json")) && Files.exists(out.resolve("README.md")));
        try (ModelSource o = ModelSource.open(out, "o"); ModelSource b = ModelSource.open(fam.resolve("base"), "b")) {
            assertEquals(b.tensors().keySet(), o.tensors().keySet());
            for (String t : b.tensors().keySet()) {
                float[] want = expected.getOrDefault(t, read(b, t));
                float[] got = read(o, t);
                assertTrue(maxAbsDiff(want, got) < 2e-6, name + ": " + t + " differs by " + maxAbsDiff(want, got));
            }
        }
    }

    float[] base(String t) {
        try (ModelSource b = ModelSource.open(fam.resolve("base"), "b")) {
            return read(b, t);
        }
    }

    @Test
    void plainAdapterOfSeveralShapes() throws Exception {
        List<Module> mods = List.of(new Module("model.layers.0.self_attn.q_proj", 64, 64, 4, false),
                new Module("model.layers.1.self_attn.v_proj", 32, 64, 4, false),
                new Module("model.layers.2.mlp.down_proj", 64, 160, 4, false));
        AdapterGenerator.Spec spec = AdapterGenerator.simple(mods, 4, 8, 11);
        Map<String, float[]> want = new HashMap<>();
        for (Module m : mods) {
            want.put(m.name() + ".weight", naiveApply(base(m.name() + ".weight"), spec, m, 8.0 / 4, false));
        }
        check("plain", spec, want);
    }

    @Test
    void rsloraWithRankAndAlphaPatterns() throws Exception {
        Module up = new Module("model.layers.0.mlp.up_proj", 160, 64, 8, false);
        Module k = new Module("model.layers.3.self_attn.k_proj", 32, 64, 4, false);
        Module q = new Module("model.layers.3.self_attn.q_proj", 64, 64, 4, false);
        AdapterGenerator.Spec spec = new AdapterGenerator.Spec(List.of(up, k, q), 4, 16, true, false,
                Map.of("layers.0.mlp.up_proj", 8), Map.of("k_proj", 4.0), Map.of(), List.of(), List.of("up_proj", "k_proj", "q_proj"),
                DType.BF16, 12);
        Map<String, float[]> want = new HashMap<>();
        want.put(up.name() + ".weight", naiveApply(base(up.name() + ".weight"), spec, up, 16 / Math.sqrt(8), false));
        want.put(k.name() + ".weight", naiveApply(base(k.name() + ".weight"), spec, k, 4 / Math.sqrt(4), false));
        want.put(q.name() + ".weight", naiveApply(base(q.name() + ".weight"), spec, q, 16 / Math.sqrt(4), false));
        check("rslora", spec, want);
    }

    @Test
    void fanInFanOutOnLinearIgnoredEmbeddingAndModulesToSave() throws Exception {
        Module q = new Module("model.layers.1.self_attn.q_proj", 64, 64, 2, false);
        Module o = new Module("model.layers.1.self_attn.o_proj", 64, 64, 2, false);
        Module emb = new Module("model.embed_tokens", 64, 256, 2, true); // lora_embedding_A [r, vocab], B [hidden, r]
        float[] head = new float[256 * 64];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < head.length; i++) {
            head[i] = (float) rnd.nextGaussian();
        }
        AdapterGenerator.Spec spec = new AdapterGenerator.Spec(List.of(q, o, emb), 2, 6, false, true, Map.of(), Map.of(),
                Map.of("lm_head.weight", new AdapterGenerator.Saved(new long[] {256, 64}, head)), List.of("lm_head"),
                "model\\.(layers\\.1\\.self_attn\\.(q|o)_proj|embed_tokens)", DType.F32, 13);
        Map<String, float[]> want = new HashMap<>();
        // Llama's projections are nn.Linear: PEFT ignores fan_in_fan_out there (with a warning), so do we.
        want.put(q.name() + ".weight", naiveApply(base(q.name() + ".weight"), spec, q, 3, false));
        want.put(o.name() + ".weight", naiveApply(base(o.name() + ".weight"), spec, o, 3, false));
        want.put("model.embed_tokens.weight", naiveApply(base("model.embed_tokens.weight"), spec, emb, 3, true));
        want.put("lm_head.weight", head);
        check("fifo", spec, want);
    }

    /** BASE+ADAPTER tensors merged in row chunks (patched chunk by chunk) equal the whole-tensor result bit for bit. */
    @Test
    void patchedTensorsMergeInRowChunks() throws Exception {
        Module gate = new Module("model.layers.0.mlp.gate_proj", 160, 64, 3, false);
        Module emb = new Module("model.embed_tokens", 64, 256, 2, true);
        AdapterGenerator.Spec spec = new AdapterGenerator.Spec(List.of(gate, emb), 3, 5, false, false, Map.of("embed_tokens", 2),
                Map.of(), Map.of(), List.of(), List.of("gate_proj", "embed_tokens"), DType.F32, 31);
        Path ad = tmp.resolve("ad-chunks");
        AdapterGenerator.write(spec, ad);
        Path recipe = tmp.resolve("chunks.yml");
        Files.writeString(recipe, "merge_method: linear\ndtype: float32\nmodels:\n  - model: " + fam.resolve("base") + "+" + ad
                + "\n    parameters: {weight: 1.0}\n");
        Path whole = tmp.resolve("out-whole");
        Path chunked = tmp.resolve("out-chunked");
        assertEquals(0, cli("merge", recipe.toString(), whole.toString(), "--quiet").code());
        LoraTestSupport.Run r = cli("merge", recipe.toString(), chunked.toString(), "--quiet", "--chunk-above", "1", "--chunk-elements", "100");
        assertEquals(0, r.code(), r.err());
        try (ModelSource w = ModelSource.open(whole, "w"); ModelSource c = ModelSource.open(chunked, "c")) {
            for (String t : List.of(gate.name() + ".weight", "model.embed_tokens.weight")) {
                assertTrue(java.util.Arrays.equals(read(w, t), read(c, t)), t + " differs between whole and chunked merges");
            }
        }
        float[] want = naiveApply(base(gate.name() + ".weight"), spec, gate, 5.0 / 3, false);
        try (ModelSource c = ModelSource.open(chunked, "c")) {
            assertTrue(maxAbsDiff(want, read(c, gate.name() + ".weight")) < 2e-6);
        }
    }

    @Test
    void recipeParentBasePlusAdapterEqualsApply() throws Exception {
        List<Module> mods = List.of(new Module("model.layers.0.mlp.gate_proj", 160, 64, 3, false));
        AdapterGenerator.Spec spec = AdapterGenerator.simple(mods, 3, 5, 21);
        Path ad = tmp.resolve("ad-recipe");
        AdapterGenerator.write(spec, ad);
        Path recipe = tmp.resolve("r.yml");
        Files.writeString(recipe, "merge_method: linear\ndtype: float32\nmodels:\n  - model: " + fam.resolve("base") + "+" + ad
                + "\n    parameters: {weight: 1.0}\n");
        Path out = tmp.resolve("out-recipe");
        LoraTestSupport.Run r = cli("merge", recipe.toString(), out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        String w = "model.layers.0.mlp.gate_proj.weight";
        float[] want = naiveApply(base(w), spec, mods.get(0), 5.0 / 3, false);
        try (ModelSource o = ModelSource.open(out, "o")) {
            assertTrue(maxAbsDiff(want, read(o, w)) < 2e-6);
            assertTrue(maxAbsDiff(base("model.norm.weight"), read(o, "model.norm.weight")) == 0);
        }
        LoraTestSupport.Run dry = cli("merge", recipe.toString(), "--dry-run");
        assertTrue(dry.out().contains("lora(r=3"), dry.out());
    }
}
