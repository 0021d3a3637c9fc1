package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile GGUF files are refused with one line naming the file and saying what is wrong (kind INPUT, exit
 * 2), after allocating no more than a small multiple of the file (FuzzProperty's bound): no claimed count,
 * length or size is believed before the bytes that would hold it are known to exist.
 */
class MalformedGgufTest {

    @TempDir
    Path tmp;

    @Test
    void everyHostileCaseIsRefusedInOneLineNamingTheFileAndTheFault() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, GgufHostileCorpus.Case> e : GgufHostileCorpus.cases().entrySet()) {
            Path f = Files.write(tmp.resolve(e.getKey() + ".gguf"), e.getValue().bytes());
            MergeLabException error = refused(f, e.getValue().bytes().length);
            if (!error.getMessage().contains(e.getValue().fragment())) {
                wrong.add(e.getKey() + ": " + error.getMessage());
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    /** Every prefix of a valid file that loses a byte of header or tensor data is refused; padding after the last tensor is not needed. */
    @Test
    void everyTruncationIsRefused() throws Exception {
        Path full = tmp.resolve("full.gguf");
        Map<String, GgufValue> meta = GgufRoundTripTest.allValueTypes();
        GgufWriter.write(full, meta, List.of(new GgufWriter.Entry("a", GgmlType.Q4_K, new long[] {256, 1}),
                new GgufWriter.Entry("b", GgmlType.F16, new long[] {3})), List.of(new byte[144], new byte[6]));
        byte[] bytes = Files.readAllBytes(full);
        long needed;
        try (GgufFile f = GgufFile.open(full)) {
            needed = f.header().dataOffset() + f.tensor("b").end();
        }
        for (int n = 0; n < bytes.length; n++) {
            Path f = Files.write(tmp.resolve("cut.gguf"), Arrays.copyOf(bytes, n));
            if (n < needed) {
                refused(f, n);
            } else {
                try (GgufFile ok = GgufFile.open(f)) {
                    assertEquals(2, ok.tensors().size());
                }
            }
        }
    }

    @Test
    void aDirectoryOrAMissingFileIsRefusedInOneLine() throws Exception {
        assertTrue(refused(tmp, 0).getMessage().contains("is a directory"));
        assertTrue(refused(tmp.resolve("nope.gguf"), 0).getMessage().contains("no such file"));
    }

    private static MergeLabException refused(Path f, long size) {
        MergeLabException[] caught = new MergeLabException[1];
        boolean accepted = FuzzProperty.acceptedOrInputError(f.toString(), size, () -> {
            try (GgufFile g = GgufFile.open(f)) {
                g.tensors();
            } catch (MergeLabException e) {
                caught[0] = e;
                throw e;
            }
        });
        assertFalse(accepted, f + " was accepted");
        MergeLabException e = caught[0];
        assertEquals(2, e.kind().exitCode);
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        return e;
    }
}
