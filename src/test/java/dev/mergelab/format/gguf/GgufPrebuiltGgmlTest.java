package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.fuzz.FuzzSeeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped ggml (node-llama-cpp@3.21.1's prebuilt libggml-base.so, what its llama-quantize loads) as the
 * peer, through scripts/gguf-ref/prebuilt_check.c: its quantizers and dequantizers reproduce the committed
 * fixtures (which GgmlCodecReferenceTest holds MergeLab to), and gguf.cpp's reader agrees with MergeLab's on
 * the fuzz seed corpus except where MergeLab is deliberately stricter or reads nested arrays. Needs gcc, the
 * llama.cpp tree (LLAMA_CPP_DIR, default /tmp/infb/llama.cpp) and the prebuilt library (NLC_BINS, default
 * /tmp/infb/nlc/package/bins/linux-x64); skipped without them.
 */
class GgufPrebuiltGgmlTest {

    /** Files gguf.cpp accepts that MergeLab refuses, on purpose: each would fail later in llama.cpp or is garbage. */
    private static final Set<String> STRICTER = Set.of(
            "invalid-bool-two.gguf", // a bool byte of 2
            "invalid-key-not-utf8.gguf", "invalid-tensor-name-not-utf8.gguf", // names that are not text
            "invalid-tensor-data-past-eof.gguf", // llama.cpp's loader refuses it when it maps the data
            "invalid-tensor-numel-overflow.gguf"); // 2^64 elements
    /** Files MergeLab accepts that gguf.cpp refuses: nested metadata arrays, which gguf-py reads and writes. */
    private static final Set<String> NESTED_ARRAYS = Set.of("valid-every-type.gguf", "gguf-py-written.gguf");

    @TempDir
    Path tmp;

    @Test
    void theShippedGgmlAgrees() throws Exception {
        Path llama = Path.of(System.getenv().getOrDefault("LLAMA_CPP_DIR", "/tmp/infb/llama.cpp"));
        Path bins = Path.of(System.getenv().getOrDefault("NLC_BINS", "/tmp/infb/nlc/package/bins/linux-x64"));
        assumeTrue(Files.isRegularFile(bins.resolve("libggml-base.so")) && Files.isDirectory(llama.resolve("ggml/include"))
                && Files.isExecutable(Path.of("/usr/bin/gcc")), "needs gcc, the llama.cpp tree and node-llama-cpp's prebuilt libraries");
        Path exe = tmp.resolve("prebuilt_check");
        run(List.of("/usr/bin/gcc", "-O2", "-I" + llama.resolve("ggml/include"), Path.of("scripts/gguf-ref/prebuilt_check.c").toString(),
                "-L" + bins, "-lggml-base", "-Wl,-rpath," + bins, "-o", exe.toString()));
        String fixtures = run(List.of(exe.toString(), Path.of("src/test/resources/gguf").toString()));
        assertEquals(12, fixtures.lines().filter(l -> l.startsWith("ok ")).count(), fixtures);

        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "--gguf"));
        Map<String, Boolean> mergelab = new TreeMap<>();
        List<Path> files = new ArrayList<>(FuzzSeeds.of("gguf"));
        files.add(Path.of("src/test/resources/gguf/gguf-py-written.gguf"));
        for (Path f : files) {
            cmd.add(f.toString());
            boolean ok;
            try (GgufFile g = GgufFile.open(f)) {
                ok = true;
            } catch (dev.mergelab.MergeLabException e) {
                ok = false;
            }
            mergelab.put(f.getFileName().toString(), ok);
        }
        List<String> disagree = new ArrayList<>();
        for (String line : run(cmd).lines().filter(l -> l.startsWith("ok ") || l.startsWith("refused ")).toList()) {
            String name = Path.of(line.split(" ")[1]).getFileName().toString();
            boolean ggml = line.startsWith("ok ");
            boolean ours = mergelab.get(name);
            if (ggml != ours && !(ggml && STRICTER.contains(name)) && !(ours && NESTED_ARRAYS.contains(name))) {
                disagree.add(name + ": gguf.cpp " + (ggml ? "accepts" : "refuses") + ", MergeLab " + (ours ? "accepts" : "refuses"));
            }
        }
        assertTrue(disagree.isEmpty(), String.join("\n", disagree));
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
