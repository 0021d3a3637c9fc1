package dev.mergelab.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds a Hugging Face cache layout in a temporary folder: refs, snapshots of links, blobs. */
final class FakeHubCache {

    final Path root;

    FakeHubCache(Path root) {
        this.root = root;
    }

    Path repo(String repoId) {
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    /** Adds a snapshot {@code hash} with one file whose bytes live in blobs/ behind a relative link. */
    Path snapshot(String repoId, String hash, String fileName, String content) throws IOException {
        Path repo = repo(repoId);
        Path blob = repo.resolve("blobs").resolve("blob-" + hash.substring(0, 8) + "-" + fileName.hashCode());
        Files.createDirectories(blob.getParent());
        Files.writeString(blob, content);
        Path snap = repo.resolve("snapshots").resolve(hash);
        Path link = snap.resolve(fileName);
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, link.getParent().relativize(blob));
        return snap;
    }

    void ref(String repoId, String ref, String hash) throws IOException {
        Path f = repo(repoId).resolve("refs").resolve(ref);
        Files.createDirectories(f.getParent());
        Files.writeString(f, hash, StandardCharsets.US_ASCII); // the cache writes no trailing newline
    }

    static String hash(char c) {
        return String.valueOf(c).repeat(40);
    }
}
