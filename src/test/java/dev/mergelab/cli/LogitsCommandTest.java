package dev.mergelab.cli;

import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mergelab logits} through the real CLI, against the float64 reference fixtures. */
class LogitsCommandTest {

    private static final Path FIXTURES = Path.of("src/test/resources/infer");
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }

    @Test
    void writesEachSequencesLogitsWithinTheReferenceTolerance(@TempDir Path dir) throws Exception {
        for (String name : new String[]{"gemma2", "qwen2-moe"}) {
            Path out = dir.resolve(name + ".safetensors");
            Run r = run("logits", FIXTURES.resolve(name).toString(), "--ids", FIXTURES.resolve(name).resolve("ids.json").toString(),
                    "--out", out.toString(), "--threads", "2");
            assertEquals(0, r.code(), r.err());
            try (SafetensorsFile got = SafetensorsFile.open(out);
                 SafetensorsFile want = SafetensorsFile.open(FIXTURES.resolve(name).resolve("expected.safetensors"))) {
                assertEquals(want.tensors().size(), got.tensors().size());
                for (TensorInfo w : want.tensors()) {
                    TensorInfo g = got.tensor(w.name());
                    assertEquals("F32", g.dtype().safetensorsName());
                    assertArrayEquals(w.shape(), g.shape());
                    double max = 1;
                    for (long i = 0; i < w.numel(); i++) {
                        max = Math.max(max, Math.abs(want.data(w).getAtIndex(F64, i)));
                    }
                    for (long i = 0; i < w.numel(); i++) {
                        double diff = Math.abs(got.data(g).getAtIndex(F32, i) - want.data(w).getAtIndex(F64, i));
                        assertTrue(diff <= 2e-5 * max, name + " " + w.name() + "[" + i + "] off by " + diff);
                    }
                }
            }
        }
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary file left");
        }
    }

    @Test
    void anArchitectureWithoutAForwardPassIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m");
        Files.createDirectories(model);
        Files.copy(FIXTURES.resolve("llama/model.safetensors"), model.resolve("model.safetensors"));
        Files.writeString(model.resolve("config.json"), Files.readString(FIXTURES.resolve("llama/config.json"))
                .replace("LlamaForCausalLM", "FalconForCausalLM").replace("\"llama\"", "\"falcon\""));
        Run r = run("logits", model.toString(), "--ids", FIXTURES.resolve("llama/ids.json").toString(),
                "--out", dir.resolve("o.safetensors").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("FalconForCausalLM") && r.err().contains("supported architectures: LlamaForCausalLM"), r.err());
        assertTrue(r.err().contains("Qwen3MoeForCausalLM"), r.err());
        assertFalse(Files.exists(dir.resolve("o.safetensors")));
    }

    @Test
    void badIdsAreOneLineErrors(@TempDir Path dir) throws Exception {
        String llama = FIXTURES.resolve("llama").toString();
        String[][] cases = {
            {"[[1, 2], [3, -1]]", "sequence 1 position 1 is not a token id"},
            {"[[1, 2], []]", "sequence 1 is empty"},
            {"{\"ids\": [1]}", "must be a JSON list of token-id lists"},
            {"[[1, 2.5]]", "position 1 is not a token id"},
            {"[[1, 96]]", "token id 96 is outside the vocabulary (0..95)"},
            {"[[1, 2", "not valid JSON"},
        };
        for (String[] c : cases) {
            Path ids = dir.resolve("ids.json");
            Files.writeString(ids, c[0]);
            Run r = run("logits", llama, "--ids", ids.toString(), "--out", dir.resolve("o.safetensors").toString());
            assertEquals(2, r.code(), c[0] + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(c[1]), c[0] + ": " + r.err());
            assertFalse(Files.exists(dir.resolve("o.safetensors")));
        }
    }
}
