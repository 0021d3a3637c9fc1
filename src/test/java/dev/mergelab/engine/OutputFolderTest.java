package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.MergeLabException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The atomic renames behind publishing, and recovery of a folder a killed --force run had set aside. */
class OutputFolderTest {

    @TempDir
    Path tmp;

    @Test
    void renameat2ExchangesAndRefusesToReplace() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "renameat2 is Linux only");
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.writeString(a.resolve("f"), "A");
        Files.writeString(b.resolve("f"), "B");
        assertTrue(Renames.rename(a, b, Renames.RENAME_EXCHANGE), "renameat2 should be available on Linux with native access");
        assertEquals("B", Files.readString(a.resolve("f")));
        assertEquals("A", Files.readString(b.resolve("f")));
        // rename(2) would replace an empty folder; NOREPLACE must not.
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThrows(FileAlreadyExistsException.class, () -> Renames.rename(a, empty, Renames.RENAME_NOREPLACE));
        assertTrue(Files.exists(a.resolve("f")));
    }

    @Test
    void publishReplacesWithForceAndRefusesAFolderThatAppeared() throws Exception {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("old.txt"), "old");
        ModelFolderCheck.writeManifest(out, "test", 1); // MergeLab's own folder: --force may replace it
        try (OutputFolder f = OutputFolder.prepare(out, true, List.of())) {
            Files.writeString(f.temp().resolve("new.txt"), "new");
            f.publish();
        }
        assertTrue(Files.exists(out.resolve("new.txt")));
        assertFalse(Files.exists(out.resolve("old.txt")));

        Path other = tmp.resolve("other");
        try (OutputFolder f = OutputFolder.prepare(other, false, List.of())) {
            Files.createDirectories(other); // another merge won the race (even with an empty folder)
            MergeLabException e = assertThrows(MergeLabException.class, f::publish);
            assertTrue(e.getMessage().contains("appeared while merging"), e.getMessage());
        }
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().contains(".mergelab-")).count());
        }
    }

    @Test
    void aSetAsideFolderOfADeadRunIsRestoredNotDeleted() throws Exception {
        // What a run killed between the two renames of the non-atomic fallback leaves: no OUT_DIR, the old
        // folder under .out.mergelab-old-PID of a process that no longer runs.
        long deadPid = Long.MAX_VALUE - 7;
        Path old = Files.createDirectories(tmp.resolve(".out.mergelab-old-" + deadPid));
        Files.writeString(old.resolve("weights"), "precious");
        Path stale = Files.createDirectories(tmp.resolve(".out.mergelab-tmp-" + deadPid + "-1"));
        OutputFolder.removeStaleTemps(tmp, "out");
        assertEquals("precious", Files.readString(tmp.resolve("out").resolve("weights")));
        assertFalse(Files.exists(old));
        assertFalse(Files.exists(stale));
    }

    @Test
    void aFolderThatAppearedWithoutAManifestIsNotReplacedEvenWithForce() throws Exception {
        Path out = tmp.resolve("raced");
        try (OutputFolder f = OutputFolder.prepare(out, true, List.of())) {
            Files.createDirectories(out);
            Files.writeString(out.resolve("notes.txt"), "someone else's");
            MergeLabException e = assertThrows(MergeLabException.class, f::publish);
            assertTrue(e.getMessage().contains("was not written by MergeLab"), e.getMessage());
        }
        assertEquals("someone else's", Files.readString(out.resolve("notes.txt")));
    }

    @Test
    void hubCacheInputsAreComparedByRealPath() throws Exception {
        // The Hugging Face cache: snapshot files are links into blobs/, so the blobs folder holds the input's bytes.
        Path repo = tmp.resolve("hub").resolve("models--org--m");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("abc"));
        Files.writeString(blobs.resolve("f00d"), "weights");
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), blobs.resolve("f00d"));
        for (Path out : List.of(blobs, repo, repo.resolve("snapshots"), snapshot.resolve("sub"))) {
            MergeLabException e = assertThrows(MergeLabException.class, () -> OutputFolder.prepare(out, true, List.of(snapshot)),
                    out.toString());
            assertTrue(e.getMessage().contains("input"), e.getMessage());
        }
        assertEquals("weights", Files.readString(blobs.resolve("f00d")));
        try (OutputFolder f = OutputFolder.prepare(tmp.resolve("hub").resolve("elsewhere"), false, List.of(snapshot))) {
            assertTrue(Files.isDirectory(f.temp()));
        }
    }

    @Test
    void aFullDiskIsToldByTheFileSystemNotByTheErrorsWording() throws Exception {
        // The C library words ENOSPC in the user's language ("Kein Speicherplatz mehr auf dem Gerät"); matching the
        // English text missed it. Same 1 MB tmpfs as FaultInjectionTest's disk-full case (we run as root).
        Path small = Files.createDirectories(tmp.resolve("small"));
        boolean mounted;
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString()).redirectErrorStream(true).start();
            mounted = p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            mounted = false;
        }
        assumeTrue(mounted, "mounting a tmpfs is not permitted here");
        try {
            Path out = small.resolve("out");
            try (var ch = java.nio.channels.FileChannel.open(small.resolve("fill"), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(64 << 10);
                while (true) {
                    block.clear();
                    ch.write(block);
                }
            } catch (java.io.IOException full) {
                // the tmpfs is full now
            }
            String german = "Kein Speicherplatz mehr auf dem Ger\u00e4t";
            MergeLabException e = OutputFolder.writeFailed(out, new java.io.IOException(german));
            assertTrue(e.hint().contains("free disk space"), e.hint());
            assertTrue(e.getMessage().contains(german), e.getMessage());
        } finally {
            new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        // And the English words alone do not make a disk full: here the file system has room.
        MergeLabException e = OutputFolder.writeFailed(tmp.resolve("roomy"), new java.io.IOException("No space left on device"));
        assertTrue(!e.hint().contains("free disk space"), e.hint());
    }
}
