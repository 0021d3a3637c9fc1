package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import picocli.CommandLine.Option;

/** The {@code --threads} option every parallel command shares: a count of worker threads, all cores by default. */
final class ThreadsOption {

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    /** The requested thread count, or every available core. */
    int count() {
        if (threads == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        if (threads < 1) {
            throw MergeLabException.input("--threads must be at least 1, got " + threads, null);
        }
        return threads;
    }
}
