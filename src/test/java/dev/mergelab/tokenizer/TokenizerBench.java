package dev.mergelab.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokens per second of {@link Tokenizer} on JSONL chunks, one encode at a time on one thread (the counterpart
 * of scripts/tokenizer-ref/bench.js; scripts/tokenizer-ref/bench.sh runs both on the same chunks). Not a test.
 * Usage: TokenizerBench CHUNKS.jsonl TOKENIZER.json ROUNDS
 */
public final class TokenizerBench {

    private TokenizerBench() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> chunks = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (!line.isEmpty()) {
                chunks.add(json.readTree(line).get("text").textValue());
            }
        }
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        var process = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long t0 = System.nanoTime();
        Tokenizer tok = Tokenizer.load(Path.of(args[1]));
        double loadMs = (System.nanoTime() - t0) / 1e6;
        int rounds = Integer.parseInt(args[2]);
        List<Double> seconds = new ArrayList<>();
        List<Double> cpuSeconds = new ArrayList<>();
        List<Double> processCpuSeconds = new ArrayList<>();
        long tokens = 0;
        for (int r = 0; r < rounds; r++) {
            tokens = 0;
            long s = System.nanoTime();
            long c = threads.getCurrentThreadCpuTime();
            long pc = process.getProcessCpuTime();
            for (String chunk : chunks) {
                tokens += tok.encode(chunk, true).length;
            }
            seconds.add((System.nanoTime() - s) / 1e9);
            cpuSeconds.add((threads.getCurrentThreadCpuTime() - c) / 1e9);
            processCpuSeconds.add((process.getProcessCpuTime() - pc) / 1e9);
        }
        System.out.println(json.writeValueAsString(java.util.Map.of("peer", "mergelab", "tokens", tokens,
                "loadMs", loadMs, "seconds", seconds, "threadCpuSeconds", cpuSeconds,
                "processCpuSeconds", processCpuSeconds)));
    }
}
