package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.lab.registry.ContentId;
import dev.mergelab.lab.registry.LabRecorder;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.RunRecord;
import dev.mergelab.lab.registry.Score;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * {@code --lab DIR} for the commands that record into a lab and for the {@code lab} commands; without it the lab is
 * {@code MERGELAB_LAB}, else the nearest {@code .mergelab/} in the working directory or above.
 */
final class LabOption {

    @Option(names = "--lab", paramLabel = "DIR",
            description = "The lab (default: MERGELAB_LAB, else the nearest .mergelab/ in this folder or above).")
    Path dir;

    private LabRecorder recorder() {
        return new LabRecorder(dir, System.getenv(), Path.of("").toAbsolutePath());
    }

    /**
     * Records a finished run when a lab is active (the run is described only then): one line on stdout saying what
     * was recorded, or one warning on stderr. Never fails the command.
     */
    void record(PrintWriter out, PrintWriter err, Supplier<RunRecord> run) {
        recorder().record(run, w -> warn(err, w)).ifPresent(r -> out.println(r.newCandidate()
                ? "lab: recorded new candidate " + ContentId.shortId(r.id()) + " (run " + r.run() + ")"
                : "lab: recorded run " + r.run() + " of existing candidate " + ContentId.shortId(r.id()) + " (same content; "
                        + r.runs() + " runs)"));
    }

    /** Records scores of the model folder {@code model} when a lab is active (for {@code eval}); never fails the command. */
    void recordScores(PrintWriter out, PrintWriter err, Path model, List<Score> scores) {
        recorder().recordScores(model, scores, w -> warn(err, w)).ifPresent(id -> out.println("lab: recorded " + scores.size()
                + " score" + (scores.size() == 1 ? "" : "s") + " of " + ContentId.shortId(id)));
    }

    private static void warn(PrintWriter err, String w) {
        err.println("mergelab: warning: " + w);
        err.flush();
    }

    /**
     * The active lab opened for a command that records as it goes ({@code soup}), or empty when none is active; a lab
     * that cannot be opened is one warning and empty, never a failure.
     */
    Optional<Registry> openIfActive(PrintWriter err) {
        try {
            Optional<Path> lab = recorder().lab();
            return lab.isEmpty() ? Optional.empty() : Optional.of(Registry.open(lab.get(), LabRecorder.RECORD_BUSY_MILLIS));
        } catch (MergeLabException e) {
            warn(err, "not recorded in the lab: " + e.oneLine());
            return Optional.empty();
        }
    }

    /** The active lab, opened for a {@code lab} command; none is a one-line error. */
    Registry open() {
        Optional<Path> lab = recorder().lab();
        if (lab.isEmpty()) {
            throw MergeLabException.input("no lab here (no .mergelab/ in this folder or above, no MERGELAB_LAB)",
                    "create one with 'mergelab lab init' or pass --lab DIR");
        }
        return Registry.open(lab.get(), Registry.COMMAND_BUSY_MILLIS);
    }
}
