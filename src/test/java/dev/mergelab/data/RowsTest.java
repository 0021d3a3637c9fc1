package dev.mergelab.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RowsTest {

    @TempDir
    Path dir;

    @Test
    void jsonLinesKeepTypesAndColumnOrder() throws IOException {
        Path f = dir.resolve("test.jsonl");
        Files.writeString(f, "{\"b\": 1, \"a\": [\"x\", 2.5], \"c\": {\"d\": null}, \"e\": true}\n\n{\"b\": 12345678901}\n");
        List<Map<String, Object>> rows = Rows.read(f);
        assertEquals(2, rows.size());
        assertEquals(List.of("b", "a", "c", "e"), List.copyOf(rows.get(0).keySet()));
        assertEquals(1, rows.get(0).get("b"));
        assertEquals(List.of("x", 2.5), rows.get(0).get("a"));
        assertEquals(true, rows.get(0).get("e"));
        assertEquals(12345678901L, rows.get(1).get("b"));
    }

    @Test
    void jsonListOrDataObject() throws IOException {
        Path list = dir.resolve("a.json");
        Files.writeString(list, "[{\"q\": \"x\"}, {\"q\": \"y\"}]");
        assertEquals("y", Rows.read(list).get(1).get("q"));
        Path data = dir.resolve("b.json");
        Files.writeString(data, "{\"version\": 1, \"data\": [{\"q\": \"z\"}]}");
        assertEquals("z", Rows.read(data).get(0).get("q"));
    }

    @Test
    void csvRowsWithHeader() throws IOException {
        Path f = dir.resolve("t.csv");
        Files.writeString(f, "question,answer\n\"What, then?\",B\nWhy,A\n");
        List<Map<String, Object>> rows = Rows.read(f);
        assertEquals(2, rows.size());
        assertEquals("What, then?", rows.get(0).get("question"));
        assertEquals("A", rows.get(1).get("answer"));
    }

    @Test
    void errorsAreOneLineWithThePosition() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"a\": 1}\n{\"a\": \n");
        MergeLabException e = assertThrows(MergeLabException.class, () -> Rows.read(f));
        assertTrue(e.getMessage().startsWith(f + ":2: not valid JSON"), e.getMessage());
        Path arr = dir.resolve("arr.jsonl");
        Files.writeString(arr, "[1, 2]\n");
        assertTrue(assertThrows(MergeLabException.class, () -> Rows.read(arr)).getMessage().contains(":1: a row must be a JSON object"));
        Path pq = dir.resolve("test-00000-of-00001.parquet");
        Files.write(pq, new byte[] {'P', 'A', 'R', '1'});
        assertTrue(assertThrows(MergeLabException.class, () -> Rows.read(pq)).getMessage().startsWith(pq.toString()));
    }

    @Test
    void parquetSplitsAreReadByParquetRows() {
        Path pq = Path.of("src/test/resources/parquet/types-snappy.parquet");
        List<Map<String, Object>> rows = Rows.read(pq);
        assertFalse(rows.isEmpty());
        assertEquals(ParquetRows.read(pq), rows);
    }
}
