package dev.mergelab.cli;

import dev.mergelab.lab.registry.LabLocator;
import dev.mergelab.lab.registry.Registry;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab init [DIR]}: creates a lab folder; merges run in or below its parent folder are recorded in it. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a lab (default: .mergelab/ in the working directory). Commands run in its parent folder or below, "
                + "or with --lab DIR / MERGELAB_LAB, record into it.")
final class LabInitCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", description = "The lab folder to create (default: ./.mergelab).")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Path lab = (dir == null ? Path.of(LabLocator.DEFAULT_NAME) : dir).toAbsolutePath().normalize();
        boolean existed = LabLocator.isLab(lab);
        try (Registry r = Registry.init(lab)) {
            spec.commandLine().getOut().println((existed ? "lab already exists at " : "created lab at ") + lab + " (schema version "
                    + r.schemaVersion() + ")");
        }
        return 0;
    }
}
