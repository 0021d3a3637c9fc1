package dev.mergelab.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parquet files written by an independent writer (arrow-rs's parquet crate through parquet-wasm,
 * scripts/eval-ref/parquet/make-parquet.js) read back as the rows the writer was given: every column type a
 * Hugging Face dataset uses, nulls at every level, four compressions, data pages v1 and v2, dictionary and plain
 * encodings, several row groups. Malformed files are one-line INPUT errors naming the file.
 */
class ParquetRowsTest {

    static final Path DIR = Path.of("src/test/resources/parquet");

    @ParameterizedTest
    @ValueSource(strings = {"types-snappy.parquet", "types-zstd.parquet", "types-gzip-v2-rowgroups.parquet",
            "types-plain-uncompressed.parquet"})
    void readsEveryTypeAsTheWriterWroteIt(String name) throws IOException {
        List<Map<String, Object>> rows = ParquetRows.read(DIR.resolve(name));
        assertEquals(expected(), rows);
        Map<String, Object> first = rows.getFirst();
        assertEquals(List.of("id", "small", "name", "score", "half", "flag", "tags", "choices", "answer"),
                new ArrayList<>(first.keySet()), "columns in schema order");
        assertInstanceOf(Long.class, first.get("small"), "INT32 widens to Long");
        assertInstanceOf(Long.class, first.get("answer"), "INT(8) widens to Long");
        assertInstanceOf(Double.class, first.get("half"), "FLOAT widens to Double");
        assertEquals(9007199254740993L, rows.get(2).get("id"), "INT64 beyond 2^53 stays exact");
        assertEquals("Unicode: é 東京 🧪 \u0000 nul", rows.get(1).get("name"));
    }

    @Test
    void aFileWithNoRowsGivesNoRows() {
        assertEquals(List.of(), ParquetRows.read(DIR.resolve("empty.parquet")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bad-empty.parquet", "bad-text.parquet", "bad-truncated.parquet", "bad-no-footer.parquet",
            "bad-footer-length.parquet", "bad-footer-garbled.parquet", "bad-pages.parquet"})
    void malformedFilesAreOneLineInputErrorsNamingTheFile(String name) {
        Path file = DIR.resolve(name);
        MergeLabException e = assertThrows(MergeLabException.class, () -> ParquetRows.read(file));
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        assertEquals(2, e.kind().exitCode);
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void theFooterLengthIsCheckedBeforeAnythingIsAllocated() {
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> ParquetRows.read(DIR.resolve("bad-footer-length.parquet")));
        assertTrue(e.getMessage().contains("footer length 2147483632 does not fit the 3493-byte file"), e.getMessage());
    }

    /**
     * Footers that claim a 90 MB string or a 90-million-element list in a few bytes: parquet-format's own readers
     * would allocate the claim (up to their 100 MB limit); the reader bounds thrift by the footer's real length.
     */
    @Test
    void footerClaimsCostNoMoreThanTheFileHolds(@TempDir Path tmp) throws Exception {
        byte[][] footers = {
                concat(new byte[] {0x68}, varint(90_000_000)),              // field 6 (created_by): a 90 MB string
                concat(new byte[] {0x29, (byte) 0xFC}, varint(90_000_000)), // field 2 (schema): 90M structs
        };
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (byte[] footer : footers) {
            java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
            file.writeBytes("PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            file.writeBytes(footer);
            file.writeBytes(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(footer.length).array());
            file.writeBytes("PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            Path f = Files.write(tmp.resolve("claim.parquet"), file.toByteArray());
            long[] allocated = new long[1];
            MergeLabException[] error = new MergeLabException[1];
            Thread t = new Thread(() -> {
                long before = threads.getCurrentThreadAllocatedBytes();
                try {
                    ParquetRows.read(f);
                } catch (MergeLabException e) {
                    error[0] = e;
                }
                allocated[0] = threads.getCurrentThreadAllocatedBytes() - before;
            });
            t.start();
            t.join();
            assertTrue(error[0] != null && error[0].getMessage().contains("cannot read the FileMetaData"),
                    String.valueOf(error[0]));
            assertTrue(allocated[0] < 16 << 20, "allocated " + allocated[0] + " bytes");
        }
    }

    private static byte[] varint(long n) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while (n >= 0x80) {
            out.write((int) (n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write((int) n);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void everyTruncationOfAValidFileIsRefusedCleanly(@TempDir Path tmp) throws IOException {
        byte[] good = Files.readAllBytes(DIR.resolve("types-zstd.parquet"));
        for (int cut = 0; cut < good.length; cut += 97) {
            Path f = tmp.resolve("cut-" + cut + ".parquet");
            Files.write(f, java.util.Arrays.copyOf(good, cut));
            MergeLabException e = assertThrows(MergeLabException.class, () -> ParquetRows.read(f), "cut at " + cut);
            assertEquals(MergeLabException.Kind.INPUT, e.kind());
        }
    }

    @Test
    void flippedBytesEitherReadOrFailAsInputErrors(@TempDir Path tmp) throws IOException {
        byte[] good = Files.readAllBytes(DIR.resolve("types-snappy.parquet"));
        java.util.Random random = new java.util.Random(12);
        int refused = 0;
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            bad[random.nextInt(bad.length)] ^= (byte) (1 + random.nextInt(255));
            Path f = tmp.resolve("flip.parquet");
            Files.write(f, bad);
            try {
                ParquetRows.read(f);
            } catch (MergeLabException e) {
                assertEquals(MergeLabException.Kind.INPUT, e.kind(), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 0, "no mutation was refused");
    }

    @Test
    void missingFilesAndFoldersAreInputErrors(@TempDir Path tmp) {
        MergeLabException missing = assertThrows(MergeLabException.class, () -> ParquetRows.read(tmp.resolve("no.parquet")));
        assertTrue(missing.getMessage().endsWith("no such file"), missing.getMessage());
        MergeLabException dir = assertThrows(MergeLabException.class, () -> ParquetRows.read(tmp));
        assertTrue(dir.getMessage().endsWith("is not a regular file"), dir.getMessage());
    }

    /** expected.json as Java values: the writer's integers as Long, floating point as Double. */
    static List<Map<String, Object>> expected() throws IOException {
        JsonNode rows = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", Long.parseLong(r.get("id").asText()));
            m.put("small", r.get("small").asLong());
            m.put("name", r.get("name").isNull() ? null : r.get("name").asText());
            m.put("score", r.get("score").isNull() ? null : r.get("score").asDouble());
            m.put("half", r.get("half").isNull() ? null : r.get("half").asDouble());
            m.put("flag", r.get("flag").isNull() ? null : r.get("flag").asBoolean());
            m.put("tags", strings(r.get("tags")));
            if (r.get("choices").isNull()) {
                m.put("choices", null);
            } else {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("text", strings(r.get("choices").get("text")));
                c.put("label", strings(r.get("choices").get("label")));
                m.put("choices", c);
            }
            m.put("answer", r.get("answer").isNull() ? null : r.get("answer").asLong());
            out.add(m);
        }
        return out;
    }

    private static List<String> strings(JsonNode a) {
        if (a == null || a.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.isNull() ? null : x.asText()));
        return out;
    }
}
