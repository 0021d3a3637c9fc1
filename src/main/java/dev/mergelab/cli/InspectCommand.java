package dev.mergelab.cli;

import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufSummary;
import dev.mergelab.lab.ModelFacts;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab inspect PATH}: what a model is, from its files. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's architecture, layers, parameters, dtypes, size and tokenizer.")
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "Model folder, .safetensors or .gguf file, or hub id (org/name[@revision]) in the local cache.")
    String model;

    @Option(names = "--json", description = "Print JSON (format, architecture, num_layers, num_parameters, dtypes, tensors, ...).")
    boolean json;

    @Option(names = "--tensors", description = "Also print the tensor table.")
    boolean tensors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path file = Path.of(model);
        if (GgufFile.isGguf(file)) {
            try (GgufFile g = GgufFile.open(file)) {
                out.print(json ? GgufSummary.json(g) + "\n" : GgufSummary.text(g, tensors));
            }
            return 0;
        }
        try (ModelSource m = Models.opener().open(model)) {
            ModelFacts f = ModelFacts.of(m);
            if (json) {
                out.println(f.toJson());
                return 0;
            }
            out.printf("model:        %s (%s, %d file%s)%n", m.root(), f.format(), m.files().size(), m.files().size() == 1 ? "" : "s");
            out.printf("architecture: %s%s%n", f.architecture().name(), f.architecture().isInferred() ? " (inferred from tensor names)" : "");
            out.printf("layers:       %d%n", f.numLayers());
            out.printf("parameters:   %,d (%s)%n", f.numParameters(), Bytes.human(f.numBytes()));
            StringBuilder dts = new StringBuilder();
            f.dtypes().forEach((d, n) -> dts.append(dts.length() == 0 ? "" : ", ").append(d.safetensorsName()).append(' ').append(String.format("%,d", n)));
            out.printf("dtypes:       %s%n", dts);
            out.printf("tokenizer:    %s%n", f.tokenizer().present()
                    ? String.join(", ", f.tokenizer().files()) + f.tokenizer().vocabSize().stream().mapToObj(v -> " (" + v + " tokens)").findFirst().orElse("")
                    : "none");
            out.printf("tensors:      %d%n", m.tensors().size());
            if (tensors) {
                for (TensorRef t : m.tensors().values()) {
                    out.printf("  %-60s %-8s %s%n", t.name(), t.dtype().safetensorsName(), Arrays.toString(t.shape()));
                }
            }
            return 0;
        }
    }
}
