package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufArray;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufValueType;
import dev.mergelab.format.gguf.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mergelab inspect FILE.gguf}: metadata, tensor types and shapes, as text and JSON; bad files in one line. */
class InspectGgufTest {

    @TempDir
    Path tmp;

    private Path file() throws Exception {
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.ofString("llama"));
        meta.put("llama.block_count", GgufValue.ofU32(2));
        meta.put("general.name", GgufValue.ofString("evil\u001b[2Jname\nsecond line"));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("<unk>", "<s>", "</s>", "a", "b", "c", "d", "e", "f", "g")));
        meta.put("big", new GgufValue(GgufValueType.UINT64, -1L));
        Path p = tmp.resolve("tiny.gguf");
        GgufWriter.write(p, meta, List.of(new GgufWriter.Entry("token_embd.weight", GgmlType.Q8_0, new long[] {32, 10}),
                new GgufWriter.Entry("output_norm.weight", GgmlType.F32, new long[] {32})),
                List.of(new byte[10 * 34], new byte[128]));
        return p;
    }

    @Test
    void textShowsMetadataTypesAndTensors() throws Exception {
        Path p = file();
        Run r = cli("inspect", p.toString(), "--tensors");
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("(GGUF v3, 2 tensors, 5 metadata keys, alignment 32"), out);
        assertTrue(out.contains("architecture: llama"), out);
        assertTrue(out.matches("(?s).*llama\\.block_count\\s+u32\\s+2\\n.*"), out);
        assertTrue(out.matches("(?s).*tokenizer\\.ggml\\.tokens\\s+arr\\s+\\[str × 10\\] <unk>, <s>, </s>, a, b, c, d, e, \\.\\.\\.\\n.*"), out);
        assertTrue(out.contains("18446744073709551615"), out);
        assertTrue(out.contains("evil\\u001b[2Jname\\u000asecond line"), "control characters escaped: " + out);
        assertFalse(out.contains("\u001b"));
        assertTrue(out.contains("tensors:      2 (F32 1, Q8_0 1)"), out);
        assertTrue(out.contains("parameters:   352"), out);
        assertTrue(out.matches("(?s).*token_embd\\.weight\\s+Q8_0\\s+\\[32, 10\\].*"), out);
    }

    @Test
    void jsonHasEveryValueInFull() throws Exception {
        Run r = cli("inspect", file().toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("gguf", j.get("format").asText());
        assertEquals(10, j.get("metadata").get("tokenizer.ggml.tokens").get("value").size());
        assertEquals("u64", j.get("metadata").get("big").get("type").asText());
        assertEquals("18446744073709551615", j.get("metadata").get("big").get("value").asText());
        assertEquals("Q8_0", j.get("tensors").get(0).get("type").asText());
        assertEquals(340, j.get("tensors").get(0).get("bytes").asLong());
    }

    @Test
    void aBrokenGgufIsOneLineAndExitTwo() throws Exception {
        Path p = Files.write(tmp.resolve("broken.gguf"), "GGUF\3\0\0\0".getBytes());
        Run r = cli("inspect", p.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("invalid GGUF file"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
