package dev.mergelab.lab.registry;

import dev.mergelab.engine.ModelFolderCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A model the lab knows: written by a recorded command, or met as a parent (a root of the lineage).
 *
 * @param files its content files (name, size, SHA-256), as its id was computed from them
 * @param runs  how many recorded runs wrote it (0 for a model only met as a parent)
 */
public record Candidate(String id, String kind, Path path, long size, String dtype, String architecture,
        SortedMap<String, ContentId.FileEntry> files, Instant firstSeen, Instant lastSeen, int runs) {

    public Candidate {
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    public String shortId() {
        return ContentId.shortId(id);
    }

    /** A child merged in memory by a soup or search and never written ({@value ModelIdentity#VIRTUAL}). */
    public boolean isVirtual() {
        return ModelIdentity.VIRTUAL.equals(kind);
    }

    /** Where it is, for people: its path, or {@code (in memory)} for a virtual candidate. */
    public String where() {
        return isVirtual() ? "(in memory)" : path.toString();
    }

    /**
     * True while its files are still there with their sizes, and (for a folder MergeLab wrote) its manifest still
     * gives this id: a folder replaced by another merge (--force) no longer holds this candidate. Checked without
     * hashing, so a same-size rewrite of a model MergeLab did not write goes unnoticed.
     */
    public boolean present() {
        if (isVirtual()) {
            return false; // nothing on disk to be there: its recipe and parents are what it is
        }
        try {
            if (Files.isRegularFile(path)) {
                return files.size() == 1 && Files.size(path) == files.values().iterator().next().size();
            }
            if (!Files.isDirectory(path)) {
                return false;
            }
            for (Map.Entry<String, ContentId.FileEntry> f : files.entrySet()) {
                Path p = path.resolve(f.getKey());
                if (!Files.isRegularFile(p) || Files.size(p) != f.getValue().size()) {
                    return false;
                }
            }
            return !ModelFolderCheck.hasManifest(path) || ModelIdentity.of(path).id().equals(id);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
