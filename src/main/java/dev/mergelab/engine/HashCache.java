package dev.mergelab.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Remembers the SHA-256 of input files between runs, keyed like git's index by what a change to the file
 * would alter: real path, size, modification time and file identity (inode). Hashing a parent costs a
 * core for seconds per GB; merges in a recipe search or a benchmark read the same parents over and over.
 * Any change to the file misses the cache and rehashes. Lives in {@code $XDG_CACHE_HOME/mergelab} (else
 * {@code ~/.cache/mergelab}); {@code MERGELAB_HASH_CACHE=off} disables it. Best effort: a cache that
 * cannot be read or written only costs time.
 */
final class HashCache {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final long MAX_BYTES = 16L << 20;
    private static Map<String, String> entries;

    private HashCache() {
    }

    static synchronized String lookup(Path file) {
        Path cache = location();
        if (cache == null) {
            return null;
        }
        if (entries == null) {
            entries = load(cache);
        }
        String key = key(file);
        return key == null ? null : entries.get(key);
    }

    static synchronized void store(Path file, String sha) {
        Path cache = location();
        String key = key(file);
        if (cache == null || key == null) {
            return;
        }
        if (entries == null) {
            entries = load(cache);
        }
        entries.put(key, sha);
        try {
            Files.createDirectories(cache.getParent());
            Files.writeString(cache, sha + "\t" + key + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            // best effort
        }
    }

    private static Path location() {
        if ("off".equalsIgnoreCase(System.getenv("MERGELAB_HASH_CACHE"))) {
            return null;
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("mergelab").resolve("sha256-cache.tsv");
    }

    /** size, mtime, inode and real path; null when the file cannot be described. */
    private static String key(Path file) {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            return a.size() + "\t" + a.lastModifiedTime().toInstant() + "\t" + a.fileKey() + "\t" + real;
        } catch (IOException e) {
            return null;
        }
    }

    private static Map<String, String> load(Path cache) {
        Map<String, String> map = new HashMap<>();
        try {
            if (!Files.isRegularFile(cache) || Files.size(cache) > MAX_BYTES) {
                return map;
            }
            List<String> lines = Files.readAllLines(cache, StandardCharsets.UTF_8);
            for (String line : lines) {
                int tab = line.indexOf('\t');
                if (tab == 64 && SHA256_HEX.matcher(line.substring(0, 64)).matches()) {
                    map.put(line.substring(65), line.substring(0, 64));
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable cache: start empty
        }
        return map;
    }
}
