package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.MergeLabException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** {@code model.safetensors.index.json} is as untrusted as the weights: every bad index is a one-line INPUT error. */
class ShardIndexHostileTest {

    @TempDir
    Path tmp;

    record Bad(String label, String json, String expect) {
    }

    private static String index(String weightMapBody) {
        return "{\"metadata\":{\"total_size\":8},\"weight_map\":{" + weightMapBody + "}}";
    }

    static List<Bad> badIndexes() {
        return List.of(
                new Bad("parent-dir", index("\"a\":\"../x.safetensors\""), "points outside the model folder ('../x.safetensors')"),
                new Bad("absolute", index("\"a\":\"/etc/passwd\""), "points outside the model folder ('/etc/passwd')"),
                new Bad("subdir", index("\"a\":\"sub/dir.safetensors\""), "points outside the model folder"),
                new Bad("backslash-parent", index("\"a\":\"..\\\\x.safetensors\""), "points outside the model folder"),
                new Bad("backslash", index("\"a\":\"sub\\\\x.safetensors\""), "points outside the model folder"),
                new Bad("drive", index("\"a\":\"C:x.safetensors\""), "points outside the model folder"),
                new Bad("dotdot", index("\"a\":\"..\""), "points outside the model folder"),
                new Bad("dot", index("\"a\":\".\""), "points outside the model folder"),
                new Bad("dots", index("\"a\":\"....\""), "points outside the model folder"),
                new Bad("empty-name", index("\"a\":\"\""), "points outside the model folder"),
                new Bad("nul", index("\"a\":\"x.safetensors\\u0000.txt\""), "is not a plain file name ('x.safetensors\\u0000.txt')"),
                new Bad("newline", index("\"a\":\"x\\n.safetensors\""), "is not a plain file name ('x\\u000a.safetensors')"),
                new Bad("windows-device", index("\"a\":\"NUL.safetensors\""), "is not a plain file name"),
                new Bad("windows-device-lower", index("\"a\":\"con\""), "is not a plain file name"),
                new Bad("number-entry", index("\"a\":1"), "weight_map entry 'a' is not a file name"),
                new Bad("null-entry", index("\"a\":null"), "weight_map entry 'a' is not a file name"),
                new Bad("object-entry", index("\"a\":{\"file\":\"x\"}"), "weight_map entry 'a' is not a file name"),
                new Bad("name-with-newline-key", index("\"a\\nb\":2"), "weight_map entry 'a\\u000ab' is not a file name"),
                new Bad("missing-weight-map", "{\"metadata\":{}}", "shard index has no weight_map object"),
                new Bad("weight-map-array", "{\"weight_map\":[\"x.safetensors\"]}", "shard index has no weight_map object"),
                new Bad("weight-map-null", "{\"weight_map\":null}", "shard index has no weight_map object"),
                new Bad("root-array", "[]", "shard index is not a JSON object"),
                new Bad("root-string", "\"x\"", "shard index is not a JSON object"),
                new Bad("empty-file", "", "shard index is not a JSON object"),
                new Bad("bad-json", "{\"weight_map\":{\"a\" \"x\"}}", "not a valid JSON shard index"),
                new Bad("truncated", "{\"weight_map\":{\"a\":\"x.safetensors\"", "not a valid JSON shard index"),
                new Bad("trailing-garbage", index("\"a\":\"x.safetensors\"") + " trailing", "not a valid JSON shard index"),
                new Bad("second-object", index("\"a\":\"x.safetensors\"") + "{}", "unexpected data after the shard index object"),
                new Bad("duplicate-tensor", index("\"a\":\"x.safetensors\",\"a\":\"y.safetensors\""), "Duplicate field 'a'"),
                new Bad("duplicate-weight-map", "{\"weight_map\":{},\"weight_map\":{}}", "Duplicate field 'weight_map'"),
                new Bad("deep-nesting", "{\"metadata\":" + "[".repeat(100_000) + "}", "not a valid JSON shard index"));
    }

    @TestFactory
    Stream<DynamicTest> badIndexesAreRefused() {
        return badIndexes().stream().map(b -> DynamicTest.dynamicTest(b.label(), () -> {
            Path f = tmp.resolve(b.label() + ".index.json");
            Files.writeString(f, b.json(), StandardCharsets.UTF_8);
            assertIndexRefused(f, b.expect(), Files.size(f));
        }));
    }

    /** Raw bytes that are not UTF-8 at all: Jackson's decoder refuses them. */
    @Test
    void invalidUtf8Bytes() throws IOException {
        Path f = tmp.resolve("latin1.index.json");
        Files.write(f, Hostile.concat(Hostile.utf8("{\"weight_map\":{\"a\":\"x"), new byte[] {(byte) 0xFF}, Hostile.utf8("\"}}")));
        assertIndexRefused(f, "not a valid JSON shard index", Files.size(f));
    }

    /** Over 64 MiB is refused from the file size alone: sparse, so it costs no disk and nothing is read. */
    @Test
    void indexOver64MiB() throws IOException {
        Path f = tmp.resolve("huge.index.json");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(ShardIndex.MAX_INDEX_BYTES + 1);
        }
        assertIndexRefused(f, "index larger than 64 MiB", 0);
    }

    @Test
    void missingDirectoryAndPipe() throws Exception {
        assertIndexRefused(tmp.resolve("absent.json"), "no such file", 0);
        assertIndexRefused(Files.createDirectory(tmp.resolve("dir.json")), "is a directory", 0);
        Path fifo = tmp.resolve(ShardIndex.FILE_NAME);
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            assumeTrue(false, "mkfifo not available");
            return;
        }
        assumeTrue(p.waitFor() == 0, "mkfifo failed");
        assertIndexRefused(fifo, "is not a regular file", 0); // used to block in FileInputStream forever
    }

    /**
     * 10^6 + 1 entries (about 30 MB): refused, but only after reading the first 10^6, so this also bounds
     * the time a maximal legal index takes (measured numbers in TESTING.md).
     */
    @Test
    void entryCap() throws IOException {
        Path tooMany = tmp.resolve("over.index.json");
        writeManyEntries(tooMany, ShardIndex.MAX_ENTRIES + 1, 1);
        Hostile.assertInputError(() -> ShardIndex.read(tooMany), tooMany.toString(), "weight_map has more than 1000000 entries",
                Duration.ofSeconds(30), Long.MAX_VALUE);
    }

    /** An attacker can make every value a distinct shard name; the count of distinct names is capped. */
    @Test
    void distinctShardCap() throws IOException {
        Path f = tmp.resolve("shards.index.json");
        writeManyEntries(f, ShardIndex.MAX_SHARDS + 1, ShardIndex.MAX_SHARDS + 1);
        assertIndexRefused(f, "names more than 99999 shard files", Files.size(f));
    }

    @Test
    void validIndexStillReads() throws IOException {
        Map<String, String> wm = new LinkedHashMap<>();
        wm.put("a", "model-00001-of-00002.safetensors");
        wm.put("b\u00e9\u6a21", "\u6a21\u578b-00002-of-00002.safetensors");
        wm.put("c", "model-00001-of-00002.safetensors");
        Path f = tmp.resolve(ShardIndex.FILE_NAME);
        ShardIndex.write(f, wm, 1234, Map.of("format", "pt"));
        ShardIndex idx = ShardIndex.read(f);
        assertEquals(wm, idx.weightMap());
        assertEquals(List.copyOf(wm.keySet()), List.copyOf(idx.weightMap().keySet()), "index order is kept");
        assertEquals(1234, idx.totalSize());
        // Unknown top-level fields and metadata shapes are tolerated, as Transformers tolerates them.
        Files.writeString(f, "{\"x\":[1,{\"y\":2}],\"metadata\":{\"total_size\":\"n/a\",\"z\":[]},\"weight_map\":{\"a\":\"m.safetensors\"}}");
        assertEquals(-1, ShardIndex.read(f).totalSize());
        assertEquals(Map.of("a", "m.safetensors"), ShardIndex.read(f).weightMap());
    }

    @Test
    void plainNamesAccepted() {
        for (String ok : List.of("model.safetensors", "model-00001-of-00002.safetensors", "diffusion_pytorch_model.safetensors",
                "\u6a21\u578b.safetensors", ".hidden.safetensors", "console.safetensors", "a..b.safetensors")) {
            assertDoesNotThrow(() -> ShardIndex.checkPlainFileName(ok, "entry"), ok);
        }
        MergeLabException e = assertThrows(MergeLabException.class, () -> ShardIndex.checkPlainFileName("../x", "idx: entry 'a'"));
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
    }

    /**
     * Reading an index allocates about 600 bytes per real entry (two maps, the strings, Jackson's buffers),
     * so the allocation bound is wider than for safetensors headers: still linear in what the file holds.
     */
    private static void assertIndexRefused(Path f, String expect, long fileBytes) {
        Hostile.assertInputError(() -> ShardIndex.read(f), f.toString(), expect, Duration.ofSeconds(10), (16L << 20) + 32 * fileBytes);
    }

    /** {@code n} entries spread over {@code shards} distinct shard names. */
    private static void writeManyEntries(Path f, int n, int shards) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.US_ASCII)) {
            w.write("{\"metadata\":{\"total_size\":0},\"weight_map\":{");
            for (int i = 0; i < n; i++) {
                w.write(i == 0 ? "\"t" : ",\"t");
                w.write(Integer.toString(i, 36));
                w.write("\":\"s");
                w.write(Integer.toString(i % shards, 36));
                w.write(".safetensors\"");
            }
            w.write("}}");
        }
    }
}
