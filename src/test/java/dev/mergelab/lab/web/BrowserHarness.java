package dev.mergelab.lab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * The real {@code ./mergelab lab serve} and headless Chromium for end-to-end tests: Chromium from
 * {@code MERGELAB_CHROMIUM} or Debian's {@code /usr/bin/chromium}, driven by {@code scripts/web-test/drive.js}
 * (playwright-core). {@link #assumeAvailable} skips a test, saying what is missing, when node, Chromium or
 * {@code npm ci} in scripts/web-test are not there.
 */
public final class BrowserHarness implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPTS = Path.of("scripts", "web-test").toAbsolutePath();
    private static final Pattern SERVING = Pattern.compile("serving the lab .* at (http://127\\.0\\.0\\.1:\\d+/) \\(Ctrl-C to stop\\)");

    private final Path tmp;
    private final Process server;
    private final String base;

    private BrowserHarness(Path tmp, Process server, String base) {
        this.tmp = tmp;
        this.server = server;
        this.base = base;
    }

    /** The Chromium the browser tests use; the test is skipped, with the reason, when anything needed is missing. */
    public static Path assumeAvailable() {
        Path chromium = Path.of(System.getenv().getOrDefault("MERGELAB_CHROMIUM", "/usr/bin/chromium"));
        Assumptions.assumeTrue(Files.isExecutable(chromium), "no Chromium at " + chromium + " (apt-get install chromium, or set MERGELAB_CHROMIUM)");
        Assumptions.assumeTrue(works("node", "--version"), "no node on PATH (Debian: apt-get install nodejs npm)");
        Assumptions.assumeTrue(Files.isDirectory(SCRIPTS.resolve("node_modules/playwright-core")),
                "playwright-core is not installed: run 'npm ci' in scripts/web-test");
        return chromium;
    }

    /**
     * Starts the launcher's {@code lab serve --port 0} on {@code lab} (the test class path as MERGELAB_CLASSPATH, as a
     * user starts it) and waits for its "serving the lab ... at URL" line; {@code tmp} receives its output.
     */
    public static BrowserHarness serve(Path lab, Path tmp) throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("mergelab").toAbsolutePath().toString(), "lab", "serve", "--port", "0", "--lab",
                lab.toString());
        pb.environment().put("MERGELAB_CLASSPATH", classPath.replace(File.pathSeparator + File.pathSeparator, File.pathSeparator));
        pb.environment().put("MERGELAB_HEAP", "512m");
        pb.environment().remove("MERGELAB_LAB");
        pb.redirectOutput(tmp.resolve("serve.out").toFile()).redirectError(tmp.resolve("serve.err").toFile());
        Process server = pb.start();
        try {
            return new BrowserHarness(tmp, server, awaitUrl(server, tmp));
        } catch (Exception | Error e) {
            stop(server);
            throw e;
        }
    }

    /** The server's address without the trailing slash, as drive.js's plan wants it. */
    public String base() {
        return base.substring(0, base.length() - 1);
    }

    /** Runs drive.js on {@code plan} (see its header for the fields) and returns its report. */
    public JsonNode drive(Path plan) throws Exception {
        Path out = tmp.resolve("drive.out");
        Path err = tmp.resolve("drive.err");
        Process p = new ProcessBuilder("node", SCRIPTS.resolve("drive.js").toString(), plan.toString()).directory(SCRIPTS.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(4, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("drive.js timed out: " + Files.readString(err));
        }
        assertEquals(0, p.exitValue(), Files.readString(err));
        assertFalse(Files.readString(out).isBlank(), Files.readString(err));
        return JSON.readTree(out.toFile());
    }

    @Override
    public void close() throws InterruptedException {
        stop(server);
    }

    private static void stop(Process server) throws InterruptedException {
        server.descendants().forEach(ProcessHandle::destroy);
        server.destroy();
        if (!server.waitFor(20, TimeUnit.SECONDS)) {
            server.destroyForcibly();
        }
    }

    /** Waits for the URL line (up to 2 minutes: the JVM starts on a loaded machine). */
    private static String awaitUrl(Process server, Path tmp) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            String out = Files.readString(tmp.resolve("serve.out"), StandardCharsets.UTF_8);
            Matcher m = SERVING.matcher(out);
            if (m.find()) {
                return m.group(1);
            }
            if (!server.isAlive()) {
                throw new AssertionError("lab serve exited " + server.exitValue() + ": " + out + Files.readString(tmp.resolve("serve.err")));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("lab serve printed no URL: " + Files.readString(tmp.resolve("serve.err")));
    }

    private static boolean works(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
