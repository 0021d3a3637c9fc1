package dev.mergelab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench regenerates only a family it started: a folder of the user's under --cache is never deleted. */
class BenchFoldersTest {

    @TempDir
    Path tmp;

    @Test
    void anIncompleteFamilyFolderHoldingOtherFilesIsRefusedNotDeleted() throws Exception {
        Bench.Config c = new Bench.Config(FamilySpec.tiny(DType.BF16), "tiny", List.of(), tmp, tmp.resolve("out"), null, false, 1, List.of());
        Path dir = Files.createDirectories(tmp.resolve("tiny-bfloat16"));
        Files.writeString(dir.resolve("notes.txt"), "mine");
        MergeLabException e = assertThrows(MergeLabException.class, () -> Bench.family(c, new PrintWriter(new StringWriter())));
        assertTrue(e.getMessage().contains("holds other files"), e.getMessage());
        assertEquals("mine", Files.readString(dir.resolve("notes.txt")));

        // What an interrupted generation leaves is regenerated.
        Files.delete(dir.resolve("notes.txt"));
        Files.createDirectories(dir.resolve("base"));
        Files.writeString(dir.resolve("base").resolve("config.json"), "{");
        Path fam = Bench.family(c, new PrintWriter(new StringWriter()));
        assertTrue(Files.exists(fam.resolve(".complete")) && Files.exists(fam.resolve("ft1").resolve("config.json")));
    }
}
