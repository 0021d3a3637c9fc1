package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.lab.registry.LabJsonViews;
import dev.mergelab.lab.registry.Registry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab export [-o FILE]}: the whole lab as one JSON document. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Dump the lab as JSON: every candidate (id, sha256, kind, path, size, dtype, architecture, files, runs with "
                + "recipes and parameters, scores) and every lineage edge.")
final class LabExportCommand implements Callable<Integer> {

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Registry registry = lab.open()) {
            String json = LabJsonViews.pretty(LabJsonViews.export(registry));
            if (output == null) {
                spec.commandLine().getOut().println(json);
            } else {
                try {
                    Files.writeString(output, json + "\n");
                } catch (IOException e) {
                    throw MergeLabException.input("cannot write " + output + ": " + e.getMessage(), null);
                }
            }
            return 0;
        }
    }
}
