package dev.mergelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code --evaluator 'CMD {model} {tasks} {out}'}: runs an external evaluator (lm-eval on a GPU) through
 * {@code sh -c} with the placeholders replaced by shell-quoted values, then reads the newest
 * {@code results_*.json} under {out}, where lm-eval's EvaluationTracker writes it
 * (lm_eval/loggers/evaluation_tracker.py:275-279: {@code out/<model>/results_<date>.json}).
 */
final class EvalExternal {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EvalExternal() {
    }

    static ObjectNode run(String template, String model, String tasks, Path out, PrintWriter err) throws IOException {
        if (!template.contains("{model}")) {
            throw MergeLabException.input("--evaluator must contain {model} (and usually {tasks} and {out})", null);
        }
        Files.createDirectories(out);
        String command = template.replace("{model}", quote(model)).replace("{tasks}", quote(tasks))
                .replace("{out}", quote(out.toAbsolutePath().toString()));
        err.println("running evaluator: " + command);
        err.flush();
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        try (var in = p.getInputStream()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                err.print(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                err.flush();
            }
        }
        int rc;
        try {
            rc = p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw MergeLabException.input("interrupted while the evaluator ran", null);
        }
        if (rc != 0) {
            throw MergeLabException.input("the evaluator exited with status " + rc + ": " + command, null);
        }
        Path newest = newestResults(out);
        JsonNode root;
        try {
            root = JSON.readTree(newest.toFile());
        } catch (IOException e) {
            throw MergeLabException.input(newest + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), null);
        }
        if (!(root instanceof ObjectNode obj) || !root.path("results").isObject()) {
            throw MergeLabException.input(newest + ": has no \"results\" object; is it lm-eval's results file?", null);
        }
        return obj;
    }

    static Path newestResults(Path out) throws IOException {
        List<Path> found;
        try (Stream<Path> s = Files.walk(out)) {
            found = s.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().startsWith("results")
                    && f.getFileName().toString().endsWith(".json")).toList();
        }
        if (found.isEmpty()) {
            throw MergeLabException.input("the evaluator wrote no results_*.json under " + out, null);
        }
        Comparator<Path> byTime = Comparator.comparing(f -> {
            try {
                return Files.getLastModifiedTime(f);
            } catch (IOException e) {
                return FileTime.fromMillis(0);
            }
        });
        return found.stream().max(byTime.thenComparing(f -> f.getFileName().toString())).orElseThrow();
    }

    /** A POSIX shell single-quoted word. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
