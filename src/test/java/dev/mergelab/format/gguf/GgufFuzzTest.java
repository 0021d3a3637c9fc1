package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import dev.mergelab.MergeLabException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the GGUF reader ({@link GgufFile#open}, {@link GgufHeader#parse}, and decoding
 * a prefix of every tensor). Plain {@code mvn test} replays the seed corpus src/test/resources/fuzz/gguf/
 * (Jazzer's inputs folder for this method links there); {@code JAZZER_FUZZ=1} fuzzes. Any input is either
 * accepted with consistent tensors or refused with a one-line INPUT error, within bounded memory and time.
 */
class GgufFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-gguf-");

    @FuzzTest(maxDuration = "5m")
    void file(byte[] data) throws Exception {
        Path f = DIR.resolve("fuzz.gguf");
        Files.write(f, data);
        FuzzProperty.acceptedOrInputError(f.toString(), data.length, () -> {
            try (GgufFile g = GgufFile.open(f)) {
                checkInvariants(g);
                float[] buf = new float[1024];
                for (TensorInfo t : g.tensors()) {
                    if (t.numel() == 0 || t.rowLength() > buf.length) {
                        continue;
                    }
                    try {
                        g.decodeRows(t, 0, 1, buf, 0);
                    } catch (MergeLabException e) {
                        assertFalse(g.ggufTensor(t.name()).type().decodable(), e.getMessage());
                        throw e;
                    }
                }
            }
        });
    }

    /** Tensors lie inside the file, in order, aligned, with sizes their type and dimensions give. */
    static void checkInvariants(GgufFile g) {
        long end = 0;
        for (TensorInfo t : g.tensors()) {
            GgufTensor gt = g.ggufTensor(t.name());
            assertEquals(gt.type().rowBytes(gt.numel()), t.byteSize());
            assertEquals(0, t.begin() % g.header().alignment());
            assertTrue(t.begin() >= end);
            end = t.end();
            assertTrue(g.header().dataOffset() + t.end() <= g.fileSize());
            assertEquals(t.numel(), gt.numel());
        }
    }

    /** The folder holds exactly what GgufSeedCorpus generates; valid-* are accepted, invalid-* refused. */
    @Test
    void seedsMatchTheGeneratorAndCoverBothOutcomes() throws Exception {
        Map<String, byte[]> expected = GgufSeedCorpus.seeds(DIR);
        Set<String> present = FuzzSeeds.of("gguf").stream().map(p -> p.getFileName().toString())
                .filter(n -> !n.startsWith("crash-")).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(expected.keySet()), present, "regenerate with GgufSeedCorpus");
        int valid = 0;
        for (Path seed : FuzzSeeds.of("gguf")) {
            String name = seed.getFileName().toString();
            if (expected.containsKey(name)) {
                assertArrayEquals(expected.get(name), Files.readAllBytes(seed), name + ": regenerate with GgufSeedCorpus");
            }
            Path f = DIR.resolve("seed.gguf");
            Files.copy(seed, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            boolean accepted = FuzzProperty.acceptedOrInputError(name, Files.size(f), () -> {
                try (GgufFile g = GgufFile.open(f)) {
                    checkInvariants(g);
                }
            });
            if (name.startsWith("valid-")) {
                assertTrue(accepted, name);
                valid++;
            } else if (name.startsWith("invalid-")) {
                assertFalse(accepted, name);
            }
        }
        assertTrue(valid >= 3, "valid seeds: " + valid);
    }
}
