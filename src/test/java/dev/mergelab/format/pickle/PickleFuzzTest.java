package dev.mergelab.format.pickle;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of {@link TorchCheckpoint#open} (zip reader, legacy layout, {@link PickleMachine}).
 * Plain {@code mvn test} replays the seed corpus {@code src/test/resources/fuzz/pickle/}; {@code JAZZER_FUZZ=1}
 * ({@code scripts/fuzz.sh pickle}) fuzzes. The property is {@link FuzzProperty}'s: the file opens, or a one-line
 * INPUT error; nothing else escapes, allocation stays bounded by the input's size, no input takes 10 s. An opened
 * file must keep its promises: every tensor's span inside the file, its first rows decodable and copyable.
 */
class PickleFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-pickle-");

    @FuzzTest(maxDuration = "5m")
    void checkpoint(byte[] data) throws Exception {
        Path f = DIR.resolve("fuzz.bin");
        Files.write(f, data);
        FuzzProperty.acceptedOrInputError(f.toString(), data.length, () -> {
            try (TorchCheckpoint c = TorchCheckpoint.open(f)) {
                checkPromises(c);
            }
        });
    }

    /** What an opened checkpoint promises its readers. */
    static void checkPromises(TorchCheckpoint c) {
        float[] floats = new float[4 * 4096];
        MemorySegment raw = MemorySegment.ofArray(new byte[4 * 4096 * 8]);
        for (TensorInfo t : c.tensors()) {
            if (t.begin() < 0 || t.begin() > t.end() || t.end() > c.fileSize()) {
                throw new AssertionError(t + " spans [" + t.begin() + ", " + t.end() + ") of a " + c.fileSize() + "-byte file");
            }
            c.bytes(t); // a slice of the mapping: throws if outside
            if (t.numel() == 0 || t.rowLength() > 4096) {
                continue;
            }
            int rows = (int) Math.min(4, t.rows());
            c.decodeRows(t, t.rows() - rows, rows, floats, 0);
            c.copyRows(t, 0, rows, raw, 0);
        }
    }

    /** The seeds exercise both outcomes: valid-* are accepted, invalid-* refused. */
    @Test
    void seedsCoverBothOutcomes() throws Exception {
        int valid = 0;
        int invalid = 0;
        for (Path seed : FuzzSeeds.of("pickle")) {
            String name = seed.getFileName().toString();
            Path f = DIR.resolve("seed.bin");
            Files.copy(seed, f, StandardCopyOption.REPLACE_EXISTING);
            boolean accepted = FuzzProperty.acceptedOrInputError(name, Files.size(f), () -> {
                try (TorchCheckpoint c = TorchCheckpoint.open(f)) {
                    checkPromises(c);
                }
            });
            if (name.startsWith("valid-")) {
                assertTrue(accepted, name);
                valid++;
            } else if (name.startsWith("invalid-")) {
                assertFalse(accepted, name);
                invalid++;
            }
        }
        assertTrue(valid >= 7 && invalid >= 9, valid + " valid, " + invalid + " invalid");
    }
}
