package dev.mergelab.lab.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's name for run records, read without a DNS lookup (which can take seconds on a machine without network). */
final class Host {

    private static final Path KERNEL_HOSTNAME = Path.of("/proc/sys/kernel/hostname");

    private Host() {
    }

    static String name() {
        try {
            if (Files.isReadable(KERNEL_HOSTNAME)) {
                String n = Files.readString(KERNEL_HOSTNAME).strip();
                if (!n.isEmpty()) {
                    return n;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        String env = System.getenv("HOSTNAME");
        if (env == null || env.isBlank()) {
            env = System.getenv("COMPUTERNAME");
        }
        return env == null || env.isBlank() ? "unknown" : env;
    }
}
