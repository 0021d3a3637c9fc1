package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of {@link ShardIndex#read}. Besides the parse-or-INPUT property, every shard
 * name an accepted index yields must resolve to a file directly inside the model folder.
 * Seeds: {@code src/test/resources/fuzz/shard-index/}.
 */
class ShardIndexFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-index-");

    @FuzzTest(maxDuration = "5m")
    void index(byte[] data) throws Exception {
        Path f = DIR.resolve(ShardIndex.FILE_NAME);
        Files.write(f, data);
        FuzzProperty.acceptedOrInputError(f.toString(), data.length, () -> check(ShardIndex.read(f)));
    }

    private static void check(ShardIndex index) {
        for (String shard : index.weightMap().values()) {
            Path p = DIR.resolve(shard).normalize();
            assertEquals(DIR, p.getParent(), "shard name '" + shard + "' leaves the folder");
            assertFalse(shard.isEmpty() || shard.indexOf('\0') >= 0, shard);
        }
    }

    @Test
    void seedsCoverBothOutcomes() throws Exception {
        int accepted = 0;
        int refused = 0;
        for (Path seed : FuzzSeeds.of("shard-index")) {
            Path f = DIR.resolve(ShardIndex.FILE_NAME);
            Files.copy(seed, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            boolean ok = FuzzProperty.acceptedOrInputError(seed.toString(), Files.size(f), () -> check(ShardIndex.read(f)));
            String name = seed.getFileName().toString();
            if (name.startsWith("valid-")) {
                assertTrue(ok, name);
            } else if (name.startsWith("invalid-")) {
                assertFalse(ok, name);
            }
            accepted += ok ? 1 : 0;
            refused += ok ? 0 : 1;
        }
        assertTrue(accepted >= 2 && refused >= 2, accepted + " accepted, " + refused + " refused");
    }
}
