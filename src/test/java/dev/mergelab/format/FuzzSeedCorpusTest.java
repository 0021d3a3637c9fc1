package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fuzz seeds stay what the generator makes, valid seeds open, and invalid seeds are refused cleanly. */
class FuzzSeedCorpusTest {

    @TempDir
    Path tmp;

    @Test
    void seedsMatchGeneratorAndBehave() throws Exception {
        Path dir = MalformedSafetensorsTest.resourceDir("fuzz/safetensors");
        Map<String, byte[]> seeds = FuzzSeedCorpus.seeds(tmp);
        assertEquals(FuzzSeedCorpus.INVALID.size(), seeds.keySet().stream().filter(n -> n.startsWith("invalid-")).count());
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> present = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors"))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(seeds.keySet()), present);
        }
        for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
            Path f = dir.resolve(seed.getKey());
            assertArrayEquals(seed.getValue(), Files.readAllBytes(f), seed.getKey() + " differs; run FuzzSeedCorpus.main");
            if (seed.getKey().startsWith("valid-")) {
                try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                    SafetensorsPropertiesTest.checkInvariants(sf);
                }
            } else {
                Hostile.assertRejected(f, "invalid safetensors file", Files.size(f));
            }
        }
        try (SafetensorsFile sf = SafetensorsFile.open(dir.resolve("valid-all-dtypes.safetensors"))) {
            assertEquals(dev.mergelab.tensor.DType.values().length, sf.tensors().size());
        }
        assertTrue(Files.size(dir.resolve("README.md")) > 0);
    }
}
