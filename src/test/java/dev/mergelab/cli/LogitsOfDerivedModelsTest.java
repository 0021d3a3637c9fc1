package dev.mergelab.cli;

import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.synth.AdapterGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code mergelab logits} on models that exist only as a computation: a recipe (read through its virtual child,
 * never written) and {@code BASE+ADAPTER} (patched rows on the fly), each bit for bit equal to the logits of the
 * folder the merge or {@code lora apply} writes.
 */
class LogitsOfDerivedModelsTest {

    private static final Path FIXTURES = Path.of("src/test/resources/infer");
    private static final Path IDS = FIXTURES.resolve("llama/ids.json");

    @Test
    void aRecipesLogitsEqualThoseOfItsWrittenMerge(@TempDir Path dir) throws Exception {
        // a parent of the same shapes: the fixture with an adapter on top
        Path adapter = adapter(dir);
        Path base = FIXTURES.resolve("llama").toAbsolutePath();
        Path recipe = dir.resolve("r.yml");
        Files.writeString(recipe, "merge_method: linear\ndtype: bfloat16\nmodels:\n"
                + "  - model: " + base + "\n    parameters: {weight: 0.3}\n"
                + "  - model: " + base + "+" + adapter + "\n    parameters: {weight: 0.7}\n");
        Path merged = dir.resolve("merged");
        LogitsCommandTest.Run m = LogitsCommandTest.run("merge", recipe.toString(), merged.toString(), "--quiet");
        assertEquals(0, m.code(), m.err());

        float[][] written = logits(dir, merged.toString(), "written");
        float[][] virtual = logits(dir, recipe.toString(), "virtual");
        float[][] parent = logits(dir, FIXTURES.resolve("llama").toString(), "parent");
        assertTrue(Arrays.deepEquals(written, virtual), "the recipe's logits differ from the written merge's");
        assertFalse(Arrays.deepEquals(parent, virtual), "the merge changed nothing: the test proves nothing");

        // a child larger than its heap share is spilled to a scratch file and read back mapped: same logits
        int[] ids = new com.fasterxml.jackson.databind.ObjectMapper().readValue(IDS.toFile(), int[][].class)[0];
        try (InferSource spilled = InferSource.open(recipe.toString(), 2, 0, w -> { }, 0);
                dev.mergelab.infer.Workers workers = new dev.mergelab.infer.Workers(2)) {
            dev.mergelab.infer.TransformerModel model = dev.mergelab.infer.TransformerModel.load(spilled.weights(), workers);
            float[] fromFile = model.newSession().forward(ids);
            assertTrue(Arrays.equals(written[0], fromFile), "the spilled child's logits differ from the written merge's");
        }
    }

    @Test
    void baseplusAdapterLogitsEqualThoseOfTheAppliedModel(@TempDir Path dir) throws Exception {
        Path adapter = adapter(dir);
        Path base = FIXTURES.resolve("llama").toAbsolutePath();
        Path applied = dir.resolve("applied");
        // float32, so the applied folder stores the patched weights exactly as the patched refs compute them
        LogitsCommandTest.Run a = LogitsCommandTest.run("lora", "apply", base.toString(), adapter.toString(), applied.toString(),
                "--dtype", "float32", "--quiet");
        assertEquals(0, a.code(), a.err());

        float[][] patched = logits(dir, base + "+" + adapter, "patched");
        float[][] written = logits(dir, applied.toString(), "applied");
        float[][] plain = logits(dir, base.toString(), "base");
        assertTrue(Arrays.deepEquals(written, patched), "BASE+ADAPTER logits differ from the applied model's");
        assertFalse(Arrays.deepEquals(plain, patched), "the adapter changed nothing: the test proves nothing");
    }

    /** A LoRA adapter for the llama fixture: two projections, rank 4. */
    private static Path adapter(Path dir) throws Exception {
        Path adapter = dir.resolve("adapter");
        AdapterGenerator.write(AdapterGenerator.simple(List.of(
                new AdapterGenerator.Module("model.layers.0.self_attn.q_proj", 64, 64, 4, false),
                new AdapterGenerator.Module("model.layers.1.mlp.down_proj", 64, 64, 4, false)), 4, 8, 17), adapter);
        return adapter;
    }

    /** Runs {@code logits MODEL} on the llama fixture's ids (two threads) and reads every sequence's logits back. */
    private static float[][] logits(Path dir, String model, String tag) {
        Path out = dir.resolve(tag + ".safetensors");
        LogitsCommandTest.Run r = LogitsCommandTest.run("logits", model, "--ids", IDS.toString(), "--out", out.toString(),
                "--threads", "2");
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            float[][] all = new float[f.tensors().size()][];
            for (int i = 0; i < all.length; i++) {
                TensorInfo t = f.tensor("logits." + i);
                all[i] = f.data(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
            }
            return all;
        }
    }
}
