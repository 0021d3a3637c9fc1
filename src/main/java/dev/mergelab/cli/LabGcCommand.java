package dev.mergelab.cli;

import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.Registry;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab gc}: forget candidates whose files are gone. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Forget candidates whose files are gone, with their runs and scores. A missing model that a present "
                + "candidate descends from is kept, so lineages stay whole down to their base models.")
final class LabGcCommand implements Callable<Integer> {

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Registry registry = lab.open()) {
            Registry.Collected r = registry.gc();
            for (Candidate c : r.forgotten()) {
                out.println("forgot " + c.shortId() + "  " + c.path());
            }
            for (Candidate c : r.keptMissing()) {
                out.println("kept   " + c.shortId() + "  " + c.path() + " (missing, but an ancestor of a present candidate)");
            }
            out.println("gc: forgot " + r.forgotten().size() + " candidate" + (r.forgotten().size() == 1 ? "" : "s") + ", kept "
                    + r.keptMissing().size() + " missing ancestor" + (r.keptMissing().size() == 1 ? "" : "s"));
            return 0;
        }
    }
}
