package dev.mergelab.reliability;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.cli.Main;
import dev.mergelab.engine.FileHashes;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/** Runs the CLI in-process or as a child JVM (the same JDK and class path as the tests), and hashes folders. */
final class Cli {

    private Cli() {
    }

    record Run(int code, String out, String err) {
    }

    /** In-process, through {@link Main#run}. */
    static Run run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }

    /** The command line of a child JVM running {@code mainClass} with the launcher's JVM options. */
    static List<String> javaCommand(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmOptions(), "-Xmx512m", "-XX:ErrorFile=" + System.getProperty("java.io.tmpdir") + "/mergelab-child-hs_err_%p.log",
                "-cp", classPath(), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The launcher's JVM options, as the java @argument file they live in (pom.xml names it). */
    static String jvmOptions() {
        return "@" + System.getProperty("mergelab.jvmOptions", "scripts/jvm.options");
    }

    /**
     * Starts {@code mergelab ARGS} in a child JVM; stdout and stderr go to files beside {@code logPrefix}. When
     * the tests themselves run in a background job, SIGINT is ignored and children inherit that (and the JVM
     * then keeps it ignored), so the child is started through {@code env --default-signal=INT} where available.
     */
    static Process start(Path logPrefix, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (DEFAULT_SIGNAL) {
            cmd.addAll(List.of("env", "--default-signal=INT"));
        }
        cmd.addAll(javaCommand(Main.class.getName(), args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectOutput(logPrefix.resolveSibling(logPrefix.getFileName() + ".out").toFile());
        pb.redirectError(logPrefix.resolveSibling(logPrefix.getFileName() + ".err").toFile());
        return pb.start();
    }

    private static final boolean DEFAULT_SIGNAL = supportsDefaultSignal();

    private static boolean supportsDefaultSignal() {
        try {
            Process p = new ProcessBuilder("env", "--default-signal=INT", "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String err(Path logPrefix) throws IOException {
        return Files.readString(logPrefix.resolveSibling(logPrefix.getFileName() + ".err"));
    }

    /** MergeLab's classes (main and test) and the runtime libraries, found from classes they define. */
    static String classPath() {
        List<String> parts = new ArrayList<>();
        for (Class<?> c : List.of(Main.class, Cli.class, CommandLine.class, JsonFactory.class, ObjectMapper.class, JsonProperty.class,
                Yaml.class, DMatrixRMaj.class, org.ejml.data.Matrix.class, org.sqlite.JDBC.class)) {
            try {
                String p = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                if (!parts.contains(p)) {
                    parts.add(p);
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot locate " + c, e);
            }
        }
        return String.join(java.io.File.pathSeparator, parts);
    }

    /** Sends a signal (INT, KILL, ...) to a process. */
    static void signal(Process p, String sig) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).inheritIO().start().waitFor();
    }

    /** File name to SHA-256 of every regular file in {@code dir}. */
    static Map<String, String> hashes(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                out.put(f.getFileName().toString(), FileHashes.sha256(f));
            }
        }
        return out;
    }

    /** Entries of {@code parent} left by MergeLab's temporary and set-aside folders. */
    static List<String> leftovers(Path parent) throws IOException {
        try (Stream<Path> s = Files.list(parent)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".mergelab-")).sorted().toList();
        }
    }
}
