package dev.mergelab.lab.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The active lab is --lab, else MERGELAB_LAB, else the nearest .mergelab/ upward, as git finds its repository. */
class LabLocatorTest {

    @TempDir
    Path tmp;

    private Path initLab(Path dir) {
        Registry.init(dir).close();
        return dir.toAbsolutePath().normalize();
    }

    @Test
    void foundUpwardFromANestedFolder() throws Exception {
        Path lab = initLab(tmp.resolve("project").resolve(LabLocator.DEFAULT_NAME));
        Path deep = Files.createDirectories(tmp.resolve("project/runs/a/b"));
        assertEquals(Optional.of(lab), LabLocator.locate(null, Map.of(), deep));
        // the nearest one wins: a lab deeper down hides the outer one from its subfolders
        Path inner = initLab(tmp.resolve("project/runs/.mergelab"));
        assertEquals(Optional.of(inner), LabLocator.locate(null, Map.of(), deep));
        assertEquals(Optional.of(lab), LabLocator.locate(null, Map.of(), tmp.resolve("project")));
    }

    @Test
    void noneWhenNothingIsConfiguredOrFound() throws Exception {
        Path here = Files.createDirectories(tmp.resolve("plain/sub"));
        // a .mergelab folder without a database is not a lab
        Files.createDirectories(tmp.resolve("plain/.mergelab"));
        assertEquals(Optional.empty(), LabLocator.locate(null, Map.of(), here));
        assertEquals(Optional.empty(), LabLocator.locate(null, Map.of(LabLocator.ENV, " "), here));
    }

    @Test
    void explicitLabThenEnvironmentThenUpwardSearch() throws Exception {
        Path up = initLab(tmp.resolve(LabLocator.DEFAULT_NAME));
        Path fromEnv = initLab(tmp.resolve("env-lab"));
        Path explicit = initLab(tmp.resolve("explicit-lab"));
        Path cwd = Files.createDirectories(tmp.resolve("work"));
        assertEquals(Optional.of(up), LabLocator.locate(null, Map.of(), cwd));
        assertEquals(Optional.of(fromEnv), LabLocator.locate(null, Map.of(LabLocator.ENV, fromEnv.toString()), cwd));
        assertEquals(Optional.of(explicit), LabLocator.locate(explicit, Map.of(LabLocator.ENV, fromEnv.toString()), cwd));
        // a project folder holding .mergelab/ names its lab too
        assertEquals(Optional.of(up), LabLocator.locate(tmp, Map.of(), cwd));
    }

    @Test
    void aNamedFolderThatIsNoLabIsAnError() throws Exception {
        Path cwd = Files.createDirectories(tmp.resolve("w"));
        MergeLabException e = assertThrows(MergeLabException.class, () -> LabLocator.locate(tmp.resolve("nope"), Map.of(), cwd));
        assertTrue(e.oneLine().contains("nope (--lab) is not a MergeLab lab"), e.oneLine());
        e = assertThrows(MergeLabException.class, () -> LabLocator.locate(null, Map.of(LabLocator.ENV, cwd.toString()), cwd));
        assertTrue(e.oneLine().contains("(MERGELAB_LAB) is not a MergeLab lab"), e.oneLine());
    }
}
