package dev.mergelab.lab.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which processes hold a write lock on a lab database, read from Linux's {@code /proc/locks} (SQLite locks with
 * POSIX record locks: on the database file, and in WAL mode on its {@code -shm} file). Best effort, for the
 * message a locked lab gives: empty where there is no {@code /proc/locks} or nothing matches.
 */
final class LockHolders {

    private static final Path PROC_LOCKS = Path.of("/proc/locks");

    private LockHolders() {
    }

    static List<Long> of(Path database) {
        Set<Long> inodes = new HashSet<>();
        for (String suffix : List.of("", "-wal", "-shm")) {
            try {
                Object ino = Files.getAttribute(database.resolveSibling(database.getFileName() + suffix), "unix:ino");
                inodes.add(((Number) ino).longValue());
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                // no such file, or no inode numbers on this platform
            }
        }
        if (inodes.isEmpty() || !Files.isReadable(PROC_LOCKS)) {
            return List.of();
        }
        try {
            return holders(Files.readAllLines(PROC_LOCKS), inodes);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * Process ids of granted WRITE locks on any of {@code inodes}. A line reads
     * {@code 1: POSIX  ADVISORY  WRITE 4711 08:02:1234567 0 EOF}; waiting requests carry {@code ->} and are skipped.
     */
    static List<Long> holders(List<String> lines, Set<Long> inodes) {
        Set<Long> pids = new TreeSet<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || f[1].equals("->")) {
                continue;
            }
            String[] dev = f[5].split(":");
            if (!f[3].equals("WRITE") || dev.length != 3) {
                continue;
            }
            try {
                long pid = Long.parseLong(f[4]);
                if (pid > 0 && inodes.contains(Long.parseLong(dev[2]))) {
                    pids.add(pid);
                }
            } catch (NumberFormatException e) {
                // a line of another format
            }
        }
        return new ArrayList<>(pids);
    }
}
