package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import dev.mergelab.tensor.Codecs;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the safetensors reader ({@link SafetensorsFile#open}, which runs
 * {@link SafetensorsHeader#parse}). Plain {@code mvn test} replays the seed corpus
 * {@code src/test/resources/fuzz/safetensors/} (Jazzer's inputs folder for this method links there, so
 * findings land in the corpus and become regression inputs); {@code JAZZER_FUZZ=1} fuzzes.
 */
class SafetensorsFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-safetensors-");

    @FuzzTest(maxDuration = "5m")
    void file(byte[] data) throws Exception {
        Path f = DIR.resolve("fuzz.safetensors");
        Files.write(f, data);
        FuzzProperty.acceptedOrInputError(f.toString(), data.length, () -> {
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                SafetensorsPropertiesTest.checkInvariants(sf);
                // Decode a prefix of every tensor: dtype, shape and offsets must agree with the mapping.
                float[] buf = new float[64];
                for (TensorInfo t : sf.tensors()) {
                    int n = (int) Math.min(buf.length, t.numel());
                    Codecs.decode(t.dtype(), sf.data(t), 0, buf, 0, n);
                }
            }
        });
    }

    /** The seeds exercise both outcomes: valid-* are accepted, invalid-* refused. */
    @Test
    void seedsCoverBothOutcomes() throws Exception {
        int valid = 0;
        for (Path seed : FuzzSeeds.of("safetensors")) {
            String name = seed.getFileName().toString();
            Path f = DIR.resolve("seed.safetensors");
            Files.copy(seed, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            boolean accepted = FuzzProperty.acceptedOrInputError(name, Files.size(f), () -> {
                try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                    SafetensorsPropertiesTest.checkInvariants(sf);
                }
            });
            if (name.startsWith("valid-")) {
                assertTrue(accepted, name);
                valid++;
            } else if (name.startsWith("invalid-")) {
                assertFalse(accepted, name);
            }
        }
        assertTrue(valid >= 5, "valid seeds: " + valid);
    }
}
