package dev.mergelab.lab.web;

import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.SearchRecords;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The lab as one request sees it: the registry and the search records, both opened for this request and closed after
 * it, so every page shows what is in the database now, whatever another process wrote meanwhile.
 */
record LabView(Registry registry, SearchRecords searches) {

    /**
     * How long a request waits for another process's write. The lab is in WAL mode, so readers do not wait for a
     * writer's transaction; this covers the moments SQLite needs an exclusive lock (a checkpoint, a migration).
     */
    static final int BUSY_MILLIS = 2000;

    /** Opens the lab for one request; a locked, corrupt or newer database is a one-line MergeLabException. */
    static LabView open(Path lab) {
        Registry registry = Registry.open(lab, BUSY_MILLIS);
        try {
            return new LabView(registry, SearchRecords.open(lab, BUSY_MILLIS));
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    void close() {
        try {
            searches.close();
        } finally {
            registry.close();
        }
    }

    /**
     * The candidate a URL names: a full id or a unique prefix of at least 4 hex digits. Unlike the command line,
     * never a path: a request must not make the server probe or hash files it names.
     */
    Candidate candidate(String name) {
        String prefix = name.toLowerCase(Locale.ROOT);
        if (!prefix.matches("[0-9a-f]{4,64}")) {
            throw new WebError(404, "no candidate '" + name + "' in the lab (give an id of at least 4 hex digits)");
        }
        if (prefix.length() == 64) {
            return registry.candidate(prefix).orElseThrow(() -> new WebError(404, "no candidate " + name + " in the lab"));
        }
        List<Candidate> found = registry.candidates().stream().filter(c -> c.id().startsWith(prefix)).limit(6).toList();
        if (found.isEmpty()) {
            throw new WebError(404, "no candidate " + name + " in the lab");
        }
        if (found.size() > 1) {
            throw new WebError(400, "id " + name + " is ambiguous: " + String.join(", ", found.stream().limit(5).map(Candidate::shortId).toList())
                    + (found.size() > 5 ? ", ..." : "") + " (give more digits)");
        }
        return found.getFirst();
    }

    /** The search a URL names, by full id or unique prefix of at least 4 hex digits. */
    SearchRecords.Search search(String name) {
        String prefix = name.toLowerCase(Locale.ROOT);
        if (!prefix.matches("[0-9a-f]{4,64}")) {
            throw new WebError(404, "no search '" + name + "' in the lab (give an id of at least 4 hex digits)");
        }
        return searches.search(prefix).orElseThrow(() -> new WebError(404, "no search " + name + " in the lab (or the prefix is ambiguous)"));
    }
}
