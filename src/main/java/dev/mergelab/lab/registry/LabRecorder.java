package dev.mergelab.lab.registry;

import dev.mergelab.MergeLabException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one call recording commands make once their output is written. Recording is a side effect that must never
 * fail or noticeably slow the command: when no lab is active it does nothing (a few file-exists checks); any
 * problem (a locked, corrupt or newer lab, an unreadable parent) becomes one warning and an empty result.
 */
public final class LabRecorder {

    /** How long a recording waits for another process's write (two merges finishing together) before giving up. */
    public static final int RECORD_BUSY_MILLIS = 3000;

    private final Path explicit;
    private final Map<String, String> env;
    private final Path cwd;

    /**
     * @param explicit {@code --lab DIR}, or null
     * @param env      the environment ({@value LabLocator#ENV})
     * @param cwd      where the upward search starts
     */
    public LabRecorder(Path explicit, Map<String, String> env, Path cwd) {
        this.explicit = explicit;
        this.env = env;
        this.cwd = cwd;
    }

    /** Records the run {@code run} describes (built only when a lab is active); empty when nothing was recorded. */
    public Optional<Registry.Recorded> record(Supplier<RunRecord> run, Consumer<String> warning) {
        return withLab(warning, registry -> registry.record(run.get()));
    }

    /**
     * Records scores of the model at {@code model} (registered as a root if the lab has never seen it); returns its
     * content id, or empty when nothing was recorded. This is what {@code eval} calls after evaluating a model folder.
     */
    public Optional<String> recordScores(Path model, List<Score> scores, Consumer<String> warning) {
        return withLab(warning, registry -> {
            String id = registry.register(ModelIdentity.of(model));
            registry.addScores(id, scores);
            return id;
        });
    }

    /** The active lab folder, or empty; a {@code --lab}/{@value LabLocator#ENV} that is not a lab is a one-line error. */
    public Optional<Path> lab() {
        return LabLocator.locate(explicit, env, cwd);
    }

    private <T> Optional<T> withLab(Consumer<String> warning, java.util.function.Function<Registry, T> work) {
        Optional<Path> lab;
        try {
            lab = lab();
        } catch (MergeLabException e) {
            warning.accept("not recorded in the lab: " + e.oneLine());
            return Optional.empty();
        }
        if (lab.isEmpty()) {
            return Optional.empty();
        }
        try (Registry registry = Registry.open(lab.get(), RECORD_BUSY_MILLIS)) {
            return Optional.of(work.apply(registry));
        } catch (MergeLabException e) {
            warning.accept("not recorded in the lab: " + e.oneLine());
        } catch (RuntimeException | LinkageError e) {
            // The output is complete and valid whatever happened here: say so in one line, never fail the command.
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            warning.accept("not recorded in the lab " + lab.get() + ": " + why.replace('\n', ' '));
        }
        return Optional.empty();
    }
}
