package dev.mergelab.lab.registry;

import dev.mergelab.MergeLabException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the active lab the way git finds its repository: {@code --lab DIR}, else {@code MERGELAB_LAB}, else the
 * nearest {@value #DEFAULT_NAME} folder holding a {@value #DATABASE} in the working directory or above it.
 */
public final class LabLocator {

    /** The folder {@code lab init} creates when no DIR is given. */
    public static final String DEFAULT_NAME = ".mergelab";
    /** The database file inside a lab folder. */
    public static final String DATABASE = "lab.db";
    public static final String ENV = "MERGELAB_LAB";

    private LabLocator() {
    }

    /**
     * The active lab folder, or empty when none is configured or found. A lab named by {@code explicit} or the
     * environment must exist: a typo there is an error, not a silent "no lab".
     */
    public static Optional<Path> locate(Path explicit, Map<String, String> env, Path cwd) {
        if (explicit != null) {
            return Optional.of(require(explicit, "--lab"));
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(require(Path.of(fromEnv), ENV));
        }
        for (Path dir = cwd.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            Path lab = dir.resolve(DEFAULT_NAME);
            if (isLab(lab)) {
                return Optional.of(lab);
            }
        }
        return Optional.empty();
    }

    /** True when {@code dir} is a lab folder (it holds the database file). */
    public static boolean isLab(Path dir) {
        return Files.isRegularFile(dir.resolve(DATABASE));
    }

    /** The lab folder {@code dir} names: the folder itself, or its {@value #DEFAULT_NAME} (a project folder holding a lab). */
    private static Path require(Path dir, String from) {
        Path abs = dir.toAbsolutePath().normalize();
        if (isLab(abs)) {
            return abs;
        }
        if (isLab(abs.resolve(DEFAULT_NAME))) {
            return abs.resolve(DEFAULT_NAME);
        }
        throw MergeLabException.input(dir + " (" + from + ") is not a MergeLab lab", "create one with 'mergelab lab init " + dir + "'");
    }
}
