package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where llama.cpp is on this machine for the export tests: its source tree and node-llama-cpp 3.21.1's prebuilt
 * libraries (scripts/fetch-llama-cpp.sh; {@code LLAMA_CPP_DIR}, {@code NLC_BINS}, default under /tmp/infb), gcc
 * for the small C harnesses, Debian's python3 with torch for the converter.
 */
final class LlamaCppPeer {

    static final Path TREE = Path.of(System.getenv().getOrDefault("LLAMA_CPP_DIR", "/tmp/infb/llama.cpp"));
    static final Path BINS = Path.of(System.getenv().getOrDefault("NLC_BINS", "/tmp/infb/nlc/package/bins/linux-x64"));
    static final Path PYTHON = Path.of("/usr/bin/python3");

    private LlamaCppPeer() {
    }

    static boolean haveLibraries() {
        return Files.isRegularFile(BINS.resolve("libllama.v0.4.0.so")) && Files.isDirectory(TREE.resolve("include"))
                && Files.isExecutable(Path.of("/usr/bin/gcc"));
    }

    static String missingLibraries() {
        return "needs gcc, llama.cpp's tree (" + TREE + ") and node-llama-cpp's prebuilt libraries (" + BINS
                + "): run scripts/fetch-llama-cpp.sh";
    }

    static boolean haveConverter() {
        return Files.isRegularFile(TREE.resolve("convert_hf_to_gguf.py")) && Files.isExecutable(PYTHON)
                && exitCode(List.of(PYTHON.toString(), "-c", "import torch, numpy, yaml")) == 0;
    }

    /** Compiles scripts/gguf-ref/{source} against the prebuilt libllama into {@code exe}. */
    static Path compile(String source, Path exe) throws Exception {
        run(List.of("/usr/bin/gcc", "-O2", "-I" + TREE.resolve("include"), "-I" + TREE.resolve("ggml/include"),
                Path.of("scripts/gguf-ref", source).toString(), "-L" + BINS, "-l:libllama.v0.4.0.so", "-l:libggml.v0.4.0.so",
                "-lggml-base", "-lm", "-Wl,-rpath," + BINS, "-o", exe.toString()));
        return exe;
    }

    private static int exitCode(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** Runs {@code cmd}; its output (stdout and stderr) is returned; a failure shows the output's tail. */
    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), () -> cmd + "\n" + out.substring(Math.max(0, out.length() - 3000)));
        return out;
    }
}
