package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo} cleans up after itself (issue 11: it left its temporary folders behind) and keeps off the user's files. */
class DemoCommandTest {

    @TempDir
    Path tmp;


    @Test
    void withoutOutTheTemporaryFolderIsRemoved() {
        Run r = cli("demo");
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("removed the temporary folder (\\S+);").matcher(r.out());
        assertTrue(m.find(), r.out());
        Path root = Path.of(m.group(1));
        assertTrue(root.getFileName().toString().startsWith("mergelab-demo-"), root.toString());
        assertFalse(Files.exists(root), root + " was left behind");
        assertTrue(r.out().contains("ties") && r.out().contains("passthrough"), r.out());
    }

    @Test
    void outMustBeNewOrTheDemosOwn() throws Exception {
        Path user = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(user.resolve("ties.yml"), "my own recipe");
        Run r = cli("demo", "--out", user.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("my own recipe", Files.readString(user.resolve("ties.yml")));
    }
}
