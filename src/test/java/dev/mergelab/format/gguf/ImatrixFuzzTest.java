package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the importance-matrix reader ({@link ImportanceMatrix#read}: GGUF through GgufFile, and the
 * legacy .dat parser). Plain {@code mvn test} replays the seed corpus src/test/resources/fuzz/imatrix/ (valid-* and
 * invalid-* from ImatrixHostileCorpus); {@code scripts/fuzz.sh imatrix} fuzzes. Any input is either read into finite,
 * non-empty weights or refused with a one-line INPUT error, within bounded memory and time.
 */
class ImatrixFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-imatrix-");

    @FuzzTest(maxDuration = "5m")
    void file(byte[] data) throws Exception {
        Path f = DIR.resolve("fuzz.imatrix");
        Files.write(f, data);
        FuzzProperty.acceptedOrInputError(f.toString(), data.length, () -> checkInvariants(ImportanceMatrix.read(f)));
    }

    static void checkInvariants(ImportanceMatrix m) {
        assertFalse(m.weights().isEmpty() && m.legacy(), "a legacy file has at least one entry");
        for (var e : m.weights().entrySet()) {
            assertTrue(e.getValue().length > 0 || !m.legacy(), e.getKey());
            for (float v : e.getValue()) {
                assertTrue(Float.isFinite(v), e.getKey());
            }
        }
    }

    /** Seed file name to bytes, deterministic: ImatrixHostileCorpus's valid and invalid files. */
    static Map<String, byte[]> seeds(Path scratch) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        ImatrixHostileCorpus.valid(scratch).forEach((n, b) -> out.put("valid-" + n, b));
        ImatrixHostileCorpus.cases(scratch).forEach((n, c) -> out.put("invalid-" + n + ".imatrix", c.bytes()));
        return out;
    }

    /** The folder holds exactly what the corpus generates; valid-* are read, invalid-* refused. */
    @Test
    void seedsMatchTheGeneratorAndCoverBothOutcomes() throws Exception {
        Map<String, byte[]> expected = seeds(DIR);
        Set<String> present = FuzzSeeds.of("imatrix").stream().map(p -> p.getFileName().toString())
                .filter(n -> !n.startsWith("crash-")).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(expected.keySet()), present, "regenerate with ImatrixFuzzTest.main");
        for (Path seed : FuzzSeeds.of("imatrix")) {
            String name = seed.getFileName().toString();
            if (expected.containsKey(name)) {
                assertArrayEquals(expected.get(name), Files.readAllBytes(seed), name + ": regenerate with ImatrixFuzzTest.main");
            }
            boolean accepted = FuzzProperty.acceptedOrInputError(name, Files.size(seed), () -> checkInvariants(ImportanceMatrix.read(seed)));
            if (name.startsWith("valid-")) {
                assertTrue(accepted, name);
            } else if (name.startsWith("invalid-")) {
                assertFalse(accepted, name);
            }
        }
    }

    /** Writes the seeds: {@code java -cp target/test-classes:target/classes:... dev.mergelab.format.gguf.ImatrixFuzzTest DIR}. */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        Path scratch = Files.createTempDirectory("imatrix-seeds");
        for (Map.Entry<String, byte[]> e : seeds(scratch).entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
        Files.delete(scratch);
    }
}
