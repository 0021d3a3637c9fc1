package dev.mergelab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mergelab lab ...}: the registry of candidates, their lineage and scores. */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = {"The lab: a folder (.mergelab/) with a database of every model that merge and lora commands write while it is "
                + "active, the parents each came from (relation, method, resolved parameters), the runs and the scores.",
                "Candidates are named by content id (a unique prefix will do) or by the path of their folder."},
        subcommands = {LabInitCommand.class, LabListCommand.class, LabShowCommand.class, LabLineageCommand.class,
            LabCompareCommand.class, LabGcCommand.class, LabExportCommand.class, LabServeCommand.class})
final class LabCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
