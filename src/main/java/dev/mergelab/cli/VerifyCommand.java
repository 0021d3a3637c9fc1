package dev.mergelab.cli;

import dev.mergelab.engine.ModelFolderCheck;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab verify DIR}: re-checks a finished model folder; one line per problem, exit 2 if any. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Re-check a model folder written by 'mergelab merge': every shard header valid, the index consistent "
                + "with the shards (each tensor exactly once, total_size right), no NaN/Inf values, and every file's "
                + "SHA-256 as recorded in " + ModelFolderCheck.MANIFEST + ".",
            "Exit 0 when all holds; otherwise one line per problem on stderr and exit 2."})
final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "The model folder.")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<String> problems = ModelFolderCheck.verify(dir);
        PrintWriter err = spec.commandLine().getErr();
        for (String p : problems) {
            err.println("mergelab: " + oneLine(p));
        }
        err.flush();
        if (problems.isEmpty()) {
            spec.commandLine().getOut().println("ok: " + dir);
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
