package dev.mergelab.lab.trial;

import dev.mergelab.Version;
import dev.mergelab.eval.PreparedTasks;
import dev.mergelab.lab.registry.ModelIdentity;
import dev.mergelab.lab.registry.Provenance;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.ResultScores;
import dev.mergelab.lab.registry.Score;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Records trials in a lab: each trial's child as a virtual candidate (its parents and merge edges, its recipe as one
 * run) and its scores as {@code eval} records a model's (every metric with its stderr, limit, data hash and evaluator).
 * A parent is identified (hashed) once per recorder, however many trials name it.
 */
public final class TrialRecorder {

    private final Registry registry;
    private final String command;
    private final Map<Path, ModelIdentity> identities = new HashMap<>();

    /** @param command the command the candidates are recorded under ({@code soup}, {@code search}) */
    public TrialRecorder(Registry registry, String command) {
        this.registry = registry;
        this.command = command;
    }

    public Registry registry() {
        return registry;
    }

    /**
     * Records {@code trial}'s child (once per distinct recipe, seed and parents) and its scores on {@code tasks}.
     *
     * @param seed the seed the trial's random methods drew from
     */
    public Registry.Recorded record(TrialResult trial, long seed, PreparedTasks tasks) {
        Registry.Recorded r = registry.recordVirtual(Provenance.virtual(command, trial.recipe(), trial.plan(), seed, trial.mergeSeconds(),
                this::identify));
        List<Score> scores = ResultScores.of(trial.results(), tasks.limit(), tasks.dataHashes(), "mergelab " + Version.VERSION);
        if (!scores.isEmpty()) {
            registry.addScores(r.id(), scores);
        }
        return r;
    }

    /** The identity of the model at {@code path} (hashed once). */
    public synchronized ModelIdentity identify(Path path) {
        return identities.computeIfAbsent(path.toAbsolutePath().normalize(), ModelIdentity::of);
    }
}
