package dev.mergelab.cli;

import dev.mergelab.engine.ProgressListener;
import dev.mergelab.engine.TensorJob;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress on stderr: a redrawn bar (tensors, GB/s, ETA) on a terminal, plain lines every few seconds
 * otherwise. Warnings print once each, on their own line.
 */
final class ConsoleProgress implements ProgressListener {

    private final PrintWriter err;
    private final boolean terminal;
    private final boolean quiet;
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final java.util.Set<String> warned = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile int total;
    private volatile long totalBytes;
    private volatile long start;
    private volatile long lastPrint;

    ConsoleProgress(PrintWriter err, boolean quiet) {
        this.err = err;
        this.terminal = System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
        this.quiet = quiet;
    }

    @Override
    public void started(int jobs, long inputBytes, long outputBytes) {
        total = jobs;
        totalBytes = inputBytes + outputBytes;
        start = System.nanoTime();
        lastPrint = start;
    }

    @Override
    public void tensorDone(TensorJob job) {
        int d = done.incrementAndGet();
        long b = bytes.addAndGet(job.inputBytes() + job.outBytes());
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        boolean last = d == total;
        if (!last && now - lastPrint < (terminal ? 200_000_000L : 5_000_000_000L)) {
            return;
        }
        lastPrint = now;
        double secs = Math.max(1e-9, (now - start) / 1e9);
        double gbps = b / secs / 1e9;
        double eta = b > 0 ? secs * (totalBytes - b) / b : 0;
        String line = String.format("merging %d/%d tensors  %.2f GB/s  ETA %.0fs", d, total, gbps, eta);
        synchronized (err) {
            if (terminal) {
                int width = 30;
                int filled = total == 0 ? width : (int) ((long) width * d / total);
                err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + line + (last ? "\n" : ""));
            } else {
                err.println(line);
            }
            err.flush();
        }
    }

    @Override
    public void warning(String message) {
        if (warned.add(message)) {
            synchronized (err) {
                err.println((terminal ? "\r" : "") + "warning: " + message);
                err.flush();
            }
        }
    }
}
