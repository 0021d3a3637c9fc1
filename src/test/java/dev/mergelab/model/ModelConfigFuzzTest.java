package dev.mergelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of config.json ({@link ModelConfig#read}). An accepted config must also
 * survive every accessor and every {@code with...} copy a merge uses (each may refuse a value with an
 * INPUT error, nothing else), and its JSON must read back to the same tree, because the output folder's
 * config.json is written from it. Seeds: {@code src/test/resources/fuzz/config/}.
 */
class ModelConfigFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-config-");

    @FuzzTest(maxDuration = "5m")
    void config(byte[] data) throws Exception {
        Path f = DIR.resolve("config.json");
        Files.write(f, data);
        FuzzProperty.acceptedOrInputError(f.toString(), data.length, () -> exercise(ModelConfig.read(f)));
    }

    static void exercise(ModelConfig c) {
        List<Supplier<?>> uses = List.of(c::architectures, c::modelType, c::textModelType, c::hasTextConfig,
                c::numHiddenLayers, c::hiddenSize, c::intermediateSize, c::vocabSize, c::numLocalExperts,
                c::tieWordEmbeddings, c::torchDtype, () -> Architectures.builtIn().match(c),
                () -> c.withDtype(DType.BF16).toJson(), () -> c.withLayerCount(3).toJson(),
                () -> c.withLayers(new int[] {1, 0, 1}).toJson(), () -> c.withVocabSize(7).toJson());
        for (Supplier<?> use : uses) {
            try {
                use.get();
            } catch (MergeLabException e) {
                FuzzProperty.checkInputError(e, c.source());
            }
        }
        // What we write into an output folder must read back as the same config.
        ModelConfig again = ModelConfig.parse(c.toJson(), "round trip of " + c.source());
        assertEquals(c.raw(), again.raw());
    }

    @Test
    void seedsCoverBothOutcomes() throws Exception {
        int accepted = 0;
        int refused = 0;
        for (Path seed : FuzzSeeds.of("config")) {
            Path f = DIR.resolve("config.json");
            Files.copy(seed, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            boolean ok = FuzzProperty.acceptedOrInputError(seed.toString(), Files.size(f), () -> exercise(ModelConfig.read(f)));
            String name = seed.getFileName().toString();
            if (name.startsWith("valid-")) {
                assertTrue(ok, name);
            } else if (name.startsWith("invalid-")) {
                assertFalse(ok, name);
            }
            accepted += ok ? 1 : 0;
            refused += ok ? 0 : 1;
        }
        assertTrue(accepted >= 3 && refused >= 2, accepted + " accepted, " + refused + " refused");
    }
}
