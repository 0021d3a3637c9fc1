package dev.mergelab.lab.registry;

import dev.mergelab.engine.FileHashes;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * A model's content id: the SHA-256 of its canonical file list, one line {@code SHA256 SIZE NAME} per file, sorted
 * by name. For a folder MergeLab wrote, the list is its output manifest's (so no file is read again); for any other
 * model, its weight, config and tokenizer files hashed once (the hash cache and the Hugging Face cache's blob names
 * spare re-reading a large parent). Files that describe how a model was made rather than what it is are left out:
 * the model card (it names the output folder), the extraction report (it holds the command line) and a soup's
 * soup.yml (a copy of its mergelab_recipe.yml, with the soup's steps in comments), so the same
 * recipe on the same inputs gives the same id wherever it is written.
 */
public final class ContentId {

    /** Not part of a model's content. */
    static final Set<String> NOT_CONTENT = Set.of("README.md", "mergelab_manifest.json", "extraction_report.json", "soup.yml");

    /** Characters of an id shown and accepted as short form (like git's abbreviated hashes). */
    public static final int SHORT = 12;

    /** One file of a model: its size and SHA-256. */
    public record FileEntry(long size, String sha256) {
    }

    private ContentId() {
    }

    public static String of(SortedMap<String, FileEntry> files) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, FileEntry> e : files.entrySet()) {
            if (!NOT_CONTENT.contains(e.getKey())) {
                sb.append(e.getValue().sha256()).append(' ').append(e.getValue().size()).append(' ').append(e.getKey()).append('\n');
            }
        }
        return FileHashes.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The short form of an id. */
    public static String shortId(String id) {
        return id.length() <= SHORT ? id : id.substring(0, SHORT);
    }
}
