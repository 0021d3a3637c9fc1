package dev.mergelab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reductions spread 32 logical lanes over 8, 4 or 2 registers depending on the vector width
 * (NEON/SSE, AVX2, AVX-512), and the codecs widen into 128-, 256- or 512-bit registers. The test JVM
 * only runs its preferred width, so this runs {@link WidthCheck} in child JVMs forced to 128 and 512
 * bits. A width the CPU lacks runs as the Vector API's plain-Java fallback: slow, but the same lane
 * arithmetic, which is what is checked here.
 */
class VectorWidthsTest {

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void everyLaneLayoutMatchesTheScalarReference(int bits) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(),
                "--add-modules", "jdk.incubator.vector", "-Dmergelab.vector.bits=" + bits, "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), WidthCheck.class.getName()));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("checking vector-" + bits + " / vector-" + bits), out);
        assertTrue(out.contains("ok"), out);
    }
}
