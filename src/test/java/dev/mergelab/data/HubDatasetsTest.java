package dev.mergelab.data;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dataset lookup in a Hugging Face hub cache: refs, revisions, the three file layouts, links into blobs. */
class HubDatasetsTest {

    static final Path HUB = ParquetRowsTest.DIR.resolve("hub");
    static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    static final String OLD = "fedcba9876543210fedcba9876543210fedcba98";

    @Test
    void findsTheShardsOfAConfigAndSplitAtRefsMainInOrder() {
        List<Path> files = new HubDatasets(HUB).files("mergelab/tiny_arc", "ARC-Easy", "test", null);
        assertEquals(List.of("test-00000-of-00002.parquet", "test-00001-of-00002.parquet"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        assertTrue(files.getFirst().toString().contains("/snapshots/" + MAIN + "/ARC-Easy/"));
        assertEquals("q0", ParquetRows.read(files.get(0)).getFirst().get("id"));
        assertEquals("q1", ParquetRows.read(files.get(1)).getFirst().get("id"));
    }

    @Test
    void otherSplitsConfigsAndRevisions() {
        HubDatasets hub = new HubDatasets(HUB);
        assertEquals(1, hub.files("mergelab/tiny_arc", "ARC-Easy", "train", null).size());
        assertEquals(1, hub.files("mergelab/tiny_arc", "ARC-Challenge", "test", null).size());
        List<Path> old = hub.files("mergelab/tiny_arc", "ARC-Easy", "test", OLD);
        assertEquals(1, old.size());
        assertTrue(old.getFirst().toString().contains(OLD));
        assertEquals(Optional.empty(), hub.find("mergelab/tiny_arc", "ARC-Easy", "validation", null));
        assertEquals(Optional.empty(), hub.find("mergelab/tiny_arc", "ARC-Easy", "test", "v2"));
    }

    @Test
    void aMissingDatasetSaysWhatToDownload() {
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> new HubDatasets(HUB).files("allenai/ai2_arc", "ARC-Easy", "test", null));
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        assertTrue(e.getMessage().contains("dataset allenai/ai2_arc (config ARC-Easy), split test, is not in the "
                + "Hugging Face cache at " + HUB), e.getMessage());
        assertTrue(e.hint().contains("huggingface-cli download allenai/ai2_arc --repo-type dataset --include "
                + "'ARC-Easy/test*'"), e.hint());
    }

    @Test
    void datasetsWithoutConfigsUseDataSplitFilesAndCacheLinksIntoBlobs(@TempDir Path root) throws IOException {
        Path repo = root.resolve("datasets--o--plain");
        Path blob = Files.createDirectories(repo.resolve("blobs")).resolve("abc123");
        Files.copy(HUB.resolve("datasets--mergelab--tiny_arc/snapshots/" + MAIN + "/ARC-Easy/train-00000-of-00001.parquet"),
                blob);
        Path data = Files.createDirectories(repo.resolve("snapshots/" + MAIN + "/data"));
        Files.createSymbolicLink(data.resolve("train-00000-of-00001-9f8e.parquet"), blob);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), MAIN + "\n");
        HubDatasets hub = new HubDatasets(root);
        List<Path> files = hub.files("o/plain", null, "train", null);
        assertEquals(1, files.size());
        assertEquals(1, ParquetRows.read(files.getFirst()).size());
        assertEquals(files, hub.files("o/plain", "default", "train", null));
    }

    @Test
    void theHubsParquetConversionIsUsedWhenMainHasNoFiles(@TempDir Path root) throws IOException {
        Path repo = root.resolve("datasets--o--scripted");
        Files.createDirectories(repo.resolve("snapshots/" + MAIN));
        Files.writeString(Files.createDirectories(repo.resolve("snapshots/" + MAIN)).resolve("scripted.py"), "# loader");
        Path conv = Files.createDirectories(repo.resolve("snapshots/" + OLD + "/cfg/validation"));
        Files.write(conv.resolve("0000.parquet"), new byte[] {1});
        Files.createDirectories(repo.resolve("refs/convert"));
        Files.writeString(repo.resolve("refs/main"), MAIN);
        Files.writeString(repo.resolve("refs/convert/parquet"), OLD);
        List<Path> files = new HubDatasets(root).files("o/scripted", "cfg", "validation", null);
        assertEquals(List.of(conv.resolve("0000.parquet")), files.stream().map(Path::toAbsolutePath).toList());
    }

    @Test
    void linksOutOfTheCacheAndBadNamesAreRefused(@TempDir Path root) throws IOException {
        Path outside = Files.writeString(root.resolve("secret.parquet"), "x");
        Path cache = Files.createDirectories(root.resolve("hub"));
        Path snap = Files.createDirectories(cache.resolve("datasets--o--evil/snapshots/" + MAIN + "/cfg"));
        Files.createSymbolicLink(snap.resolve("test-0.parquet"), outside);
        Files.createDirectories(cache.resolve("datasets--o--evil/refs"));
        Files.writeString(cache.resolve("datasets--o--evil/refs/main"), MAIN);
        HubDatasets hub = new HubDatasets(cache);
        MergeLabException link = assertThrows(MergeLabException.class, () -> hub.files("o/evil", "cfg", "test", null));
        assertTrue(link.getMessage().contains("outside"), link.getMessage());
        for (String[] bad : new String[][] {{"../x", "c", "s"}, {"o/n", "../c", "s"}, {"o/n", "c", "s/../../x"},
                {"a/b/c", "c", "s"}, {"o/n", "c", ""}}) {
            MergeLabException e = assertThrows(MergeLabException.class, () -> hub.find(bad[0], bad[1], bad[2], null));
            assertTrue(e.getMessage().startsWith("not a valid Hugging Face"), e.getMessage());
        }
    }

    @Test
    void aBrokenRefIsAnInputError(@TempDir Path root) throws IOException {
        Path repo = Files.createDirectories(root.resolve("datasets--o--n/refs"));
        Files.writeString(repo.resolve("main"), "not a hash");
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> new HubDatasets(root).find("o/n", "c", "test", null));
        assertTrue(e.getMessage().contains("does not hold a commit hash"), e.getMessage());
    }
}
