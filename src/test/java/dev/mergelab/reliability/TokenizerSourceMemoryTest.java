package dev.mergelab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe with {@code tokenizer_source} keeps the memory bound (issue 11: a 1B merge with it ran out of a
 * 1 GB heap): embeddings resized to the source's vocabulary stream in row chunks like every other tensor.
 * A 32768-row vocabulary over four parents needs about 300 MB as whole float32 tensors; the merge runs in a
 * 160 MB heap. Forced onto whole tensors, the same merge runs out, and says so in one line, exit 1.
 */
class TokenizerSourceMemoryTest {

    @TempDir
    static Path tmp;
    static Path recipe;

    @BeforeAll
    static void family() throws Exception {
        Path fam = tmp.resolve("fam");
        FamilyGenerator.generate(new FamilySpec(2, 256, 512, 4, 2, 32768, DType.BF16, 3, 1L << 30, false, 11), fam, 2);
        recipe = Files.writeString(tmp.resolve("ties.yml"), """
                merge_method: ties
                base_model: FAM/base
                models:
                  - model: FAM/ft1
                    parameters: {weight: 0.4, density: 0.5}
                  - model: FAM/ft2
                    parameters: {weight: 0.3, density: 0.5}
                  - model: FAM/ft3
                    parameters: {weight: 0.3, density: 0.5}
                tokenizer_source: base
                """.replace("FAM", fam.toString()));
    }

    @Test
    void vocabularyRowsStayWithinASmallHeap() throws Exception {
        LauncherTest.Run r = LauncherTest.launch(Map.of("MERGELAB_HEAP", "160m"), "merge", recipe.toString(),
                tmp.resolve("out").toString(), "--quiet", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void runningOutOfHeapIsOneLineExitOneNamingTheHeapSetting() throws Exception {
        LauncherTest.Run r = LauncherTest.launch(Map.of("MERGELAB_HEAP", "160m"), "merge", recipe.toString(),
                tmp.resolve("oom").toString(), "--quiet", "--threads", "1", "--chunk-above", "1TiB");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("mergelab: ran out of Java heap"), r.err());
        assertTrue(r.err().contains("MERGELAB_HEAP="), r.err());
        assertFalse(r.err().contains("MERGELAB_JAVA_OPTS"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(Files.exists(tmp.resolve("oom")));
    }
}
