package dev.mergelab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same recipe, same inputs, same seed: byte-identical output folders (every file hashed, the model card and
 * manifest included) with 1, 2 and 4 worker threads and on repeated runs, for the random methods (dare_ties,
 * della, dare_linear) and deterministic ones. A different seed must change the random methods' weights, so
 * the comparison can fail.
 */
class DeterminismTest {

    @TempDir
    static Path tmp;
    static Path fam;

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        // BF16 (the Vector API codecs) and several shards, so scheduling order and shard layout both matter.
        FamilyGenerator.generate(new FamilySpec(4, 64, 160, 4, 2, 256, DType.BF16, 3, 60_000, false, 77), fam, 2);
    }

    static final Map<String, String> RECIPES = Map.of(
            "dare_ties", """
                    merge_method: dare_ties
                    base_model: FAM/base
                    models:
                      - model: FAM/ft1
                        parameters: {weight: 0.5, density: 0.4}
                      - model: FAM/ft2
                        parameters: {weight: 0.3, density: 0.6}
                      - model: FAM/ft3
                        parameters: {weight: 0.2, density: 0.5}
                    """,
            "della", """
                    merge_method: della
                    base_model: FAM/base
                    models:
                      - model: FAM/ft1
                        parameters: {weight: 0.6, density: 0.5, epsilon: 0.1}
                      - model: FAM/ft2
                        parameters: {weight: 0.4, density: 0.6, epsilon: 0.15}
                    parameters: {lambda: 1.1}
                    """,
            "dare_linear", """
                    merge_method: dare_linear
                    base_model: FAM/base
                    models:
                      - model: FAM/ft1
                        parameters: {weight: 0.7, density: 0.3}
                      - model: FAM/ft2
                        parameters: {weight: 0.3, density: 0.7}
                    out_dtype: float32
                    """,
            "ties", """
                    merge_method: ties
                    base_model: FAM/base
                    models:
                      - model: FAM/ft1
                        parameters: {weight: 1.0, density: 0.5}
                      - model: FAM/ft3
                        parameters: {weight: [0.2, 0.9], density: 0.5}
                    """);

    Map<String, String> merge(String method, int threads, long seed, String tag) throws Exception {
        Path recipe = tmp.resolve(method + ".yml");
        Files.writeString(recipe, RECIPES.get(method).replace("FAM", fam.toString()));
        // Same folder name each time (the card is titled after it when the recipe has no name), different parents.
        Path out = tmp.resolve(tag).resolve("out-" + method);
        Cli.Run r = Cli.run("merge", recipe.toString(), out.toString(), "--quiet", "--threads", Integer.toString(threads),
                "--random-seed", Long.toString(seed), "--out-shard-size", "100kB", "--memory", "8MB");
        assertEquals(0, r.code(), r.err());
        Map<String, String> h = Cli.hashes(out);
        assertTrue(h.containsKey("mergelab_manifest.json") && h.containsKey("README.md") && h.size() > 5, h.keySet().toString());
        return h;
    }

    @Test
    void outputsAreByteIdenticalAcrossThreadCountsAndRuns() throws Exception {
        for (String method : List.of("dare_ties", "della", "dare_linear", "ties")) {
            Map<String, String> reference = merge(method, 1, 42, "t1");
            assertEquals(reference, merge(method, 2, 42, "t2"), method + " with 2 threads");
            assertEquals(reference, merge(method, 4, 42, "t4"), method + " with 4 threads");
            assertEquals(reference, merge(method, 4, 42, "t4-again"), method + " repeated");
            if (!method.equals("ties")) {
                Map<String, String> other = merge(method, 2, 43, "seed43");
                String shard = reference.keySet().stream().filter(n -> n.endsWith(".safetensors")).findFirst().orElseThrow();
                assertNotEquals(reference.get(shard), other.get(shard), method + ": the seed must matter");
            }
        }
    }
}
