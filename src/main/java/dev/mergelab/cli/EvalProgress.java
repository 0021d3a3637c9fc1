package dev.mergelab.cli;

import java.io.PrintWriter;

/**
 * Evaluation progress on stderr in ConsoleProgress's manner: a redrawn bar with tokens read and ETA on a
 * terminal, a plain line every few seconds otherwise.
 */
final class EvalProgress {

    private final PrintWriter err;
    private final boolean terminal;
    private final boolean quiet;
    private String label = "";
    private long start;
    private long lastPrint;

    EvalProgress(PrintWriter err, boolean quiet) {
        this.err = err;
        this.terminal = System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
        this.quiet = quiet;
    }

    void started(String label) {
        this.label = label;
        start = System.nanoTime();
        lastPrint = start;
    }

    void update(long done, long total) {
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        boolean last = done == total;
        if (!last && now - lastPrint < (terminal ? 200_000_000L : 5_000_000_000L)) {
            return;
        }
        lastPrint = now;
        double secs = Math.max(1e-9, (now - start) / 1e9);
        double eta = done > 0 ? secs * (total - done) / done : 0;
        String line = String.format("%s  %d/%d tokens  %.0f tokens/s  ETA %.0fs", label, done, total, done / secs, eta);
        synchronized (err) {
            if (terminal) {
                int width = 30;
                int filled = total == 0 ? width : (int) ((long) width * done / total);
                err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + line + (last ? "\n" : ""));
            } else {
                err.println(line);
            }
            err.flush();
        }
    }

    void warning(String message) {
        synchronized (err) {
            err.println((terminal ? "\r" : "") + "warning: " + message);
            err.flush();
        }
    }
}
