package dev.mergelab.testutil;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code ../shared} (peer golden data and spec) beside the repository. */
public final class Shared {
    private Shared() {
    }

    public static Path dir() {
        String prop = System.getProperty("mergelab.shared");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "shared");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("../shared not found beside the repository (looked at " + p.toAbsolutePath() + ")");
        }
        return p;
    }

    public static Path golden(String name) {
        return dir().resolve("golden").resolve(name);
    }
}
