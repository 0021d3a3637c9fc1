package dev.mergelab.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What one benchmarked merge process measured about itself: wall and CPU time, bytes moved, and peak
 * resident set size ({@code VmHWM}, which counts heap, JIT, thread stacks and touched mmapped pages).
 */
public record RunReport(double wallSeconds, double cpuSeconds, long inputBytes, long outputBytes, long peakRssBytes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes this process's report; called by {@code merge --report-json}. */
    public static void write(Path file, double wallSeconds, long inputBytes, long outputBytes) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("wall_s", wallSeconds);
        o.put("cpu_s", processCpuSeconds());
        o.put("input_bytes", inputBytes);
        o.put("output_bytes", outputBytes);
        o.put("peak_rss_bytes", peakRss());
        Files.writeString(file, o.toString());
    }

    public static RunReport read(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        return new RunReport(n.path("wall_s").asDouble(), n.path("cpu_s").asDouble(), n.path("input_bytes").asLong(),
                n.path("output_bytes").asLong(), n.path("peak_rss_bytes").asLong());
    }

    static double processCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return -1;
    }

    /** VmHWM from /proc/self/status in bytes, or -1 where there is no procfs. */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
