package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafePathsTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/etc/passwd", "a/../../x", "a/../b", "", "a//b", "./a", "a/.", "a\\b",
            "C:/x", "a\u0000b", ".."})
    void lexicallyUnsafeNamesAreRefused(String name) {
        var e = assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(dir, name));
        assertTrue(e.getMessage().startsWith("refusing file name"), e.getMessage());
        assertFalse(e.oneLine().contains("\u0000"));
    }

    @Test
    void plainNamesResolveEvenWhenMissing() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/model-00001-of-00002.safetensors"), "x");
        assertEquals(dir.resolve("sub/model-00001-of-00002.safetensors").toAbsolutePath(),
                SafePaths.resolveInside(dir, "sub/model-00001-of-00002.safetensors"));
        assertEquals(dir.resolve("not/yet.json").toAbsolutePath(), SafePaths.resolveInside(dir, "not/yet.json"));
        assertEquals(dir.resolve("..x").toAbsolutePath(), SafePaths.resolveInside(dir, "..x"), "a name, not a parent");
    }

    @Test
    void linksInsideTheFolderAreFollowed() throws Exception {
        Files.writeString(dir.resolve("real.json"), "{}");
        Files.createSymbolicLink(dir.resolve("alias.json"), Path.of("real.json"));
        assertTrue(SafePaths.isSafe(dir, "alias.json"));
    }

    @Test
    void linksEscapingTheFolderAreRefused() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(dir.resolve("secret"), "s");
        Files.createSymbolicLink(model.resolve("tokenizer.json"), Path.of("../secret"));
        Files.createSymbolicLink(model.resolve("sub"), dir);
        Files.createSymbolicLink(model.resolve("dangling"), Path.of("/nonexistent/x"));
        var e = assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(model, "tokenizer.json"));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(model, "sub/secret"));
        assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(model, "sub/new-file"));
        assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(model, "dangling"));
    }

    @Test
    void snapshotLinksMayPointIntoTheirOwnBlobsOnly() throws Exception {
        FakeHubCache cache = new FakeHubCache(dir);
        Path snap = cache.snapshot("org/a", FakeHubCache.hash('a'), "config.json", "{}");
        cache.snapshot("org/a", FakeHubCache.hash('a'), "nested/tokenizer.json", "{}");
        assertTrue(SafePaths.isSafe(snap, "config.json"));
        assertTrue(SafePaths.isSafe(snap, "nested/tokenizer.json"));
        assertTrue(SafePaths.isSafe(snap.resolve("nested"), "tokenizer.json"), "a model in a subfolder of a snapshot");

        // A link from org/a's snapshot into org/b's blobs: the same shape, another repository.
        Path otherSnap = cache.snapshot("org/b", FakeHubCache.hash('b'), "model.safetensors", "w");
        Path otherBlob = otherSnap.resolve("model.safetensors").toRealPath();
        Files.createSymbolicLink(snap.resolve("model.safetensors"), otherBlob);
        assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(snap, "model.safetensors"));

        // A link out of the snapshot to anything that is not a blob.
        Files.createSymbolicLink(snap.resolve("passwd"), Path.of("/etc/passwd"));
        assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(snap, "passwd"));
        Files.createSymbolicLink(snap.resolve("refs"), cache.repo("org/a").resolve("blobs"));
        assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(snap, "refs"), "the blobs folder itself");

        // The same blob-link rule does not apply to an ordinary folder.
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Files.createSymbolicLink(plain.resolve("config.json"), snap.resolve("config.json").toRealPath());
        assertThrows(MergeLabException.class, () -> SafePaths.resolveInside(plain, "config.json"));
    }
}
