package dev.mergelab.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real launcher (./mergelab, run on the test class path through MERGELAB_CLASSPATH): users see only
 * MergeLab's output on stderr (not the JVM's incubator-module notice), exit codes pass through, and the
 * last line is written before the launcher exits.
 */
class LauncherTest {

    @TempDir
    static Path tmp;
    static Path fam;

    record Run(int code, String out, String err) {
    }

    @BeforeAll
    static void family() throws Exception {
        fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16).withFineTunes(1), fam, 2);
    }

    /** Runs ./mergelab ARGS; stdout and stderr go to files, read as soon as the launcher has exited. */
    static Run launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("mergelab").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("MERGELAB_CLASSPATH", Cli.classPath());
        pb.environment().putIfAbsent("MERGELAB_HEAP", "256m");
        pb.environment().putAll(env);
        Path out = Files.createTempFile("mergelab-launcher", ".out");
        Path err = Files.createTempFile("mergelab-launcher", ".err");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "launcher timed out");
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static Run launch(String... args) throws Exception {
        return launch(Map.of(), args);
    }

    @Test
    void inspectOfAValidModelPrintsNothingOnStderr() throws Exception {
        Run r = launch("inspect", fam.resolve("base").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("architecture: llama"), r.out());
    }

    @Test
    void errorsAreOurOneLineWithTheirExitCode() throws Exception {
        for (int i = 0; i < 3; i++) { // the line must be there the moment the launcher exits, every time
            Run r = launch("mrege");
            assertEquals(2, r.code());
            assertTrue(r.err().startsWith("mergelab: unknown command 'mrege'; did you mean 'merge'?"), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        Run missing = launch("inspect", fam.resolve("nothing-here").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("mergelab: model "), missing.err());
        assertEquals(1, missing.err().lines().count(), missing.err());
    }

    @Test
    void otherJvmWarningsStillShow() throws Exception {
        // Only the incubator notice is dropped: a JVM warning about the user's own options still reaches them.
        Run r = launch(Map.of("MERGELAB_JAVA_OPTS", "-XX:-UseCompressedClassPointers"), "methods");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("Option UseCompressedClassPointers was deprecated"), r.err());
        assertTrue(!r.err().contains("incubator"), r.err());
        assertTrue(r.out().contains("ties"), r.out());
    }
}
