package dev.mergelab.lab.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A model the lab knows: written by a recorded command, or met as a parent (a root of the lineage).
 *
 * @param files the names of its content files, to tell whether it is still on disk
 * @param runs  how many recorded runs wrote it (0 for a model only met as a parent)
 */
public record Candidate(String id, String kind, Path path, long size, String dtype, String architecture, List<String> files,
        Instant firstSeen, Instant lastSeen, int runs) {

    public String shortId() {
        return ContentId.shortId(id);
    }

    /** True while its folder (or file) and every content file are there. */
    public boolean present() {
        if (Files.isRegularFile(path)) {
            return true;
        }
        if (!Files.isDirectory(path)) {
            return false;
        }
        for (String f : files) {
            if (!Files.exists(path.resolve(f))) {
                return false;
            }
        }
        return true;
    }
}
