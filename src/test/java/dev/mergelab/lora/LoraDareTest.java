package dev.mergelab.lora;

import static dev.mergelab.lora.LoraTestSupport.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.format.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The random LoRA merge types by their statistics (PEFT draws its masks from torch's generator, so no
 * bit-level reference exists): dare_linear on two adapters whose factors have no zeros, density d.
 * PEFT's {@code random_pruning} keeps each entry with probability d and divides the survivors by d,
 * separately per adapter and factor, then sums with weights √|w·s|. So a merged entry is zero exactly
 * when both adapters dropped it, probability (1−d)²; the merge is unbiased, E[merged] = the linear
 * merge; and each adapter's mask is independent of the other's. Sizes give ≥ 6σ margins.
 */
class LoraDareTest {

    static final int R = 16;
    static final int N = 512;
    static final double DENSITY = 0.3;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void adapters() throws Exception {
        LoraMergeTest.write(tmp.resolve("base.safetensors"), Map.of("lin.weight", new float[N * N]), Map.of("lin.weight", new long[] {N, N}));
        adapter(tmp.resolve("a1"), 1);
        adapter(tmp.resolve("a2"), 2);
    }

    /** Gaussian factors shifted away from 0 (no entry is zero before pruning); scale 1 (alpha = r). */
    static void adapter(Path dir, long seed) throws Exception {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[R * N];
        float[] b = new float[N * R];
        for (float[] f : new float[][] {a, b}) {
            for (int i = 0; i < f.length; i++) {
                double g = rnd.nextGaussian();
                f[i] = (float) (g + Math.copySign(0.5, g));
            }
        }
        LoraMergeTest.write(dir.resolve("adapter_model.safetensors"),
                Map.of("base_model.model.lin.lora_A.weight", a, "base_model.model.lin.lora_B.weight", b),
                Map.of("base_model.model.lin.lora_A.weight", new long[] {R, N}, "base_model.model.lin.lora_B.weight", new long[] {N, R}));
        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\": \"LORA\", \"r\": " + R + ", \"lora_alpha\": " + R + ", \"target_modules\": [\"lin\"]}");
    }

    static float[][] merge(String type, long seed) throws Exception {
        String name = type + "-" + seed;
        Path recipe = tmp.resolve(name + ".yml");
        Files.writeString(recipe, "base_model: " + tmp.resolve("base.safetensors") + "\ncombination_type: " + type
                + "\ndensity: " + DENSITY + "\nrandom_seed: " + seed + "\ndtype: float32\nadapters:\n"
                + "  - {adapter: " + tmp.resolve("a1") + ", weight: 1.0}\n  - {adapter: " + tmp.resolve("a2") + ", weight: 0.5}\n");
        Path out = tmp.resolve("out-" + name);
        LoraTestSupport.Run r = cli("lora", "merge", recipe.toString(), out.toString(), "--force");
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            return new float[][] {f.readFloats("base_model.model.lin.lora_A.weight"), f.readFloats("base_model.model.lin.lora_B.weight")};
        }
    }

    @Test
    void zeroFractionIsBothDropped() throws Exception {
        float[][] m = merge("dare_linear", 0);
        double p = (1 - DENSITY) * (1 - DENSITY);
        for (float[] f : m) {
            long zeros = 0;
            for (float v : f) {
                zeros += v == 0 ? 1 : 0;
            }
            double sigma = Math.sqrt(p * (1 - p) / f.length);
            assertEquals(p, (double) zeros / f.length, 6 * sigma, "fraction of entries both adapters dropped");
        }
    }

    /**
     * Unbiased: regressing the DARE merge on the linear merge gives slope 1. Per entry, the DARE value is
     * Σ_i c_i x_i m_i/d with m_i ~ Bernoulli(d): variance Σ c_i² x_i² (1−d)/d, so the slope's standard
     * error is √(Σ var_j · lin_j²) / Σ lin_j².
     */
    @Test
    void mergeIsUnbiased() throws Exception {
        float[][] dare = merge("dare_linear", 1);
        float[][] lin = merge("linear", 0);
        float[][] a1 = factors(tmp.resolve("a1"));
        float[][] a2 = factors(tmp.resolve("a2"));
        double[] c = {Math.sqrt(1.0), Math.sqrt(0.5)}; // √|w·s|, s = 1; the sign goes on A and is + here
        for (int f = 0; f < 2; f++) {
            double num = 0;
            double den = 0;
            double var = 0;
            for (int j = 0; j < lin[f].length; j++) {
                double l = lin[f][j];
                num += dare[f][j] * l;
                den += l * l;
                double x1 = c[0] * a1[f][j];
                double x2 = c[1] * a2[f][j];
                var += (x1 * x1 + x2 * x2) * (1 - DENSITY) / DENSITY * l * l;
            }
            double slope = num / den;
            double se = Math.sqrt(var) / den;
            assertEquals(1.0, slope, 6 * se, "E[dare] = linear merge (factor " + f + ")");
        }
    }

    /** Masks are keyed by random_seed: the same seed gives the same bytes, another seed other masks. */
    @Test
    void seedIsHonoured() throws Exception {
        float[][] x = merge("dare_ties", 7);
        float[][] y = merge("dare_ties", 7);
        float[][] z = merge("dare_ties", 8);
        assertArrayEquals(x[0], y[0], 0f);
        assertArrayEquals(x[1], y[1], 0f);
        assertFalse(Arrays.equals(x[0], z[0]));
        long differ = 0;
        for (int j = 0; j < x[0].length; j++) {
            differ += (x[0][j] == 0) != (z[0][j] == 0) ? 1 : 0;
        }
        // Independent masks disagree on zero-ness with probability 2p(1−p), p = (1−d)².
        double p = (1 - DENSITY) * (1 - DENSITY);
        assertTrue(differ > 0.8 * 2 * p * (1 - p) * x[0].length, "masks of seeds 7 and 8 disagree on " + differ + " entries");
    }

    static float[][] factors(Path adapter) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(adapter.resolve("adapter_model.safetensors"))) {
            return new float[][] {f.readFloats("base_model.model.lin.lora_A.weight"), f.readFloats("base_model.model.lin.lora_B.weight")};
        }
    }
}
