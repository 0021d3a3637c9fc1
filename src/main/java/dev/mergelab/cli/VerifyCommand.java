package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.model.ModelRef;
import dev.mergelab.model.ModelResolver;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab verify MODEL}: re-checks any model; one line per problem, exit 2 if any. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a model: a folder (written by MergeLab or not), a .safetensors file, or a hub id in the local cache. "
                + "Every shard header valid, the index consistent with the shards (each tensor exactly once, total_size right), "
                + "no NaN/Inf values, every JSON file well-formed (config.json as a model config), and, when the folder has "
                + ModelFolderCheck.MANIFEST + " (MergeLab's outputs), every file's SHA-256 as recorded there.",
            "Exit 0 when all holds; otherwise one line per problem on stderr and exit 2."})
final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model folder, .safetensors file, or hub id (org/name[@revision]) in the local cache.")
    String model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Path dir = Path.of(model);
        if (!Files.exists(dir)) {
            ModelRef ref = ModelRef.parse(model);
            if (ref.hasAdapter()) {
                throw MergeLabException.input("verify checks one model or adapter, not " + model, "verify the base and the adapter one at a time");
            }
            dir = ModelResolver.offline().resolve(ref).base();
        }
        List<String> problems = ModelFolderCheck.verify(dir);
        PrintWriter err = spec.commandLine().getErr();
        for (String p : problems) {
            err.println("mergelab: " + oneLine(p));
        }
        err.flush();
        if (problems.isEmpty()) {
            boolean hashed = Files.isDirectory(dir) && ModelFolderCheck.hasManifest(dir);
            spec.commandLine().getOut().println("ok: " + dir + (hashed ? "" : " (no " + ModelFolderCheck.MANIFEST
                    + ", so file hashes were not checked)"));
        }
        return problems.isEmpty() ? 0 : 2;
    }

    /** Tensor and file names come from the folder: escape anything that would break the line. */
    static String oneLine(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            int type = Character.getType(cp);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }
}
