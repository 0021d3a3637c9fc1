package dev.mergelab.lora;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of PEFT's adapter_config.json ({@link AdapterConfig#read}), which comes with
 * downloaded adapters and is as untrusted as the weights. An accepted config must also answer the
 * per-module questions apply and merge ask (rank, alpha, scale, target match) without anything but a
 * one-line INPUT error. Seeds: {@code src/test/resources/fuzz/adapter-config/}.
 */
class AdapterConfigFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-adapter-config-");

    @FuzzTest(maxDuration = "5m")
    void adapterConfig(byte[] data) throws Exception {
        Files.write(DIR.resolve(AdapterConfig.FILE_NAME), data);
        FuzzProperty.acceptedOrInputError(DIR.toString(), data.length, () -> exercise(AdapterConfig.read(DIR)));
    }

    static void exercise(AdapterConfig c) {
        for (String module : new String[] {"model.layers.0.self_attn.q_proj", "lm_head", "model.embed_tokens", ""}) {
            try {
                double scale = c.scaleOf(module);
                assertTrue(Double.isFinite(scale), "scale of " + module + " is " + scale);
                c.targetModules().matches(module, module.equals("lm_head"));
            } catch (MergeLabException e) {
                FuzzProperty.checkInputError(e, DIR.toString());
            }
        }
    }

    @Test
    void seedsCoverBothOutcomes() throws Exception {
        for (Path seed : FuzzSeeds.of("adapter-config")) {
            Files.copy(seed, DIR.resolve(AdapterConfig.FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            boolean ok = FuzzProperty.acceptedOrInputError(seed.toString(), Files.size(seed), () -> exercise(AdapterConfig.read(DIR)));
            String name = seed.getFileName().toString();
            if (name.startsWith("valid-")) {
                assertTrue(ok, name);
            } else if (name.startsWith("invalid-")) {
                assertFalse(ok, name);
            }
        }
    }
}
