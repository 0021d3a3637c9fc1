package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.export.ExportType;
import dev.mergelab.export.GgufExport;
import dev.mergelab.export.GgufImatrix;
import dev.mergelab.export.GgufRequantize;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.lab.registry.Provenance;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab export gguf MODEL OUT.gguf --type T}: a model folder as llama.cpp's converter and quantizer make it;
 * {@code mergelab export safetensors GGUF OUT_DIR} ({@link ExportSafetensorsCommand}): a GGUF file back as a folder.
 */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Export a model to another format.",
        subcommands = {ExportCommand.Gguf.class, ExportSafetensorsCommand.class})
final class ExportCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a format: gguf or safetensors");
    }

    @Command(name = "gguf", mixinStandardHelpOptions = true,
            description = {"Write MODEL (a Hugging Face folder or hub id in the local cache) as one GGUF file: for f32 what "
                    + "llama.cpp's convert_hf_to_gguf.py writes, for other types what llama-quantize makes of that file (with "
                    + "--imatrix FILE: llama-quantize --imatrix FILE), byte for byte.", "MODEL may also be an F32/F16/BF16 GGUF file: it is "
                    + "quantized as llama-quantize does (quantized input is refused, as without --allow-requantize).",
                    "Streams tensor by tensor; memory stays bounded."})
    static final class Gguf implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "MODEL", description = "Model folder or hub id.")
        String model;

        @Parameters(index = "1", paramLabel = "OUT.gguf", description = "Output file (must not exist unless --force).")
        Path out;

        @Option(names = "--type", required = true, paramLabel = "TYPE",
                description = "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m, q4_k_s, q5_k_m or q6_k.")
        String type;

        @Option(names = "--force", description = "Replace OUT.gguf if it exists.")
        boolean force;

        @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix written by llama-imatrix (GGUF or legacy "
                + ".dat), used as llama-quantize --imatrix uses it (quantized types only).")
        String imatrix;

        @Mixin
        ThreadsOption threads = new ThreadsOption();

        @Mixin
        LabOption lab = new LabOption();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            ExportType t = ExportType.parse(type);
            GgufImatrix.checkType(imatrix != null, t);
            Path asFile = Path.of(model);
            boolean gguf = Files.isRegularFile(asFile) && GgufFile.isGguf(asFile);
            if (gguf && imatrix != null) {
                throw MergeLabException.input("--imatrix applies to a model folder; " + model + " is a GGUF file", "quantize from the model folder");
            }
            Path dir = gguf ? asFile : ModelResolver.offline().resolve(ModelRef.parse(model).base(), "model");
            if (!gguf && !Files.isDirectory(dir)) {
                throw MergeLabException.input(model + ": GGUF export needs a model folder (config.json, weights, tokenizer.json)");
            }
            if (Files.exists(out) && !force) {
                throw MergeLabException.input(out + " exists", "pass --force to replace it");
            }
            if (Files.isDirectory(out)) {
                throw MergeLabException.input(out + " is a folder; name the .gguf file to write");
            }
            if (out.toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize())
                    && Files.exists(out)) {
                throw MergeLabException.input(out + " is inside the model being exported", "write it elsewhere");
            }
            GgufImatrix im = imatrix == null ? null : GgufImatrix.read(imatrix);
            PrintWriter o = spec.commandLine().getOut();
            long start = System.nanoTime();
            PrintWriter err = spec.commandLine().getErr();
            GgufExport.Result r = gguf ? GgufRequantize.requantize(dir, out, t)
                    : GgufExport.export(dir, out, t, im, threads.count(), w -> err.println("mergelab: warning: " + w));
            double s = (System.nanoTime() - start) / 1e9;
            o.printf(Locale.ROOT, "%s: %s %s, %d tensors %s, %.1f MB in %.1f s%n", out, r.architecture(),
                    t.name().toLowerCase(Locale.ROOT), r.tensors(), r.typeCounts(), r.bytes() / 1e6, s);
            String typeName = t.name().toLowerCase(Locale.ROOT);
            lab.record(o, err, () -> Provenance.export(dir, out, typeName,
                    "mergelab export gguf " + model + " " + out + " --type " + typeName + (imatrix == null ? "" : " --imatrix " + imatrix), s));
            return 0;
        }
    }
}
