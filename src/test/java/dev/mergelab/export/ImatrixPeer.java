package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's own {@code llama-quantize} and {@code llama-imatrix}, compiled from their sources in the llama.cpp tree
 * (tools/quantize/quantize.cpp + main.cpp, tools/imatrix/imatrix.cpp; g++, seconds) against node-llama-cpp 3.21.1's
 * prebuilt libllama-common, libllama and libggml (the same release), so the imatrix path is the real tools' code from
 * argument parsing to the file written, without a cmake build. scripts/imatrix-ref/build.sh does the same by hand.
 */
final class ImatrixPeer {

    private ImatrixPeer() {
    }

    static boolean available() {
        return LlamaCppPeer.haveLibraries() && Files.isRegularFile(LlamaCppPeer.BINS.resolve("libllama-common.so"))
                && Files.isRegularFile(LlamaCppPeer.TREE.resolve("tools/quantize/quantize.cpp"))
                && Files.isRegularFile(LlamaCppPeer.TREE.resolve("tools/imatrix/imatrix.cpp")) && Files.isExecutable(Path.of("/usr/bin/g++"));
    }

    static String missing() {
        return "needs g++, llama.cpp's tree with tools/quantize and tools/imatrix (" + LlamaCppPeer.TREE
                + ") and node-llama-cpp's prebuilt libraries with libllama-common.so (" + LlamaCppPeer.BINS + "): run scripts/fetch-llama-cpp.sh";
    }

    /** Compiles the tool from {@code sources} (relative to the tree) into {@code exe}. */
    static Path compile(Path exe, String... sources) throws Exception {
        Path tree = LlamaCppPeer.TREE, bins = LlamaCppPeer.BINS;
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/g++", "-std=c++17", "-O2", "-I" + tree.resolve("common"), "-I" + tree.resolve("include"),
                "-I" + tree.resolve("ggml/include"), "-I" + tree.resolve("vendor")));
        for (String s : sources) {
            cmd.add(tree.resolve(s).toString());
        }
        cmd.addAll(List.of("-L" + bins, "-l:libllama-common.so", "-l:libllama.v0.4.0.so", "-l:libggml.v0.4.0.so", "-lggml-base",
                "-Wl,-rpath," + bins, "-o", exe.toString()));
        LlamaCppPeer.run(cmd);
        return exe;
    }

    static Path quantize(Path exe) throws Exception {
        return compile(exe, "tools/quantize/quantize.cpp", "tools/quantize/main.cpp");
    }

    static Path imatrix(Path exe) throws Exception {
        return compile(exe, "tools/imatrix/imatrix.cpp");
    }

    /** Runs {@code cmd} in the prebuilt libraries' folder (where ggml looks for its CPU backends); returns its output. */
    static Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(LlamaCppPeer.BINS.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Result(p.exitValue(), out);
    }

    /** Runs {@code cmd} as {@link #run} and requires it to succeed. */
    static String ok(List<String> cmd) throws Exception {
        Result r = run(cmd);
        assertEquals(0, r.exit, () -> cmd + "\n" + r.output.substring(Math.max(0, r.output.length() - 3000)));
        return r.output;
    }

    record Result(int exit, String output) {
    }
}
