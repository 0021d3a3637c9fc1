package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.export.TinyExportModels;
import dev.mergelab.format.gguf.GgmlType;
import dev.mergelab.format.gguf.GgufFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mergelab export gguf}: the file it writes, and its one-line refusals. */
class ExportCommandTest {

    @TempDir
    Path tmp;

    @Test
    void writesAQuantizedGgufWithTheConvertersKeysAndTheFallbackTypes() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("tiny"), TinyExportModels.llama(), 3);
        Files.writeString(model.resolve("README.md"), "---\nbase_model:\n- org-a/Parent-One\n- org-b/parent-two\nlicense: apache-2.0\n---\n# card\n");
        Path out = tmp.resolve("tiny.q4_k_m.gguf");
        Run r = cli("export", "gguf", model.toString(), out.toString(), "--type", "q4_k_m", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("llama q4_k_m"), r.out());
        try (GgufFile g = GgufFile.open(out)) {
            Map<String, String> m = g.metadata();
            assertEquals("llama", m.get("general.architecture"));
            assertEquals("15", m.get("general.file_type"));
            assertEquals("Tiny", m.get("general.name"));
            assertEquals("2", m.get("general.base_model.count"));
            assertEquals("Parent One", m.get("general.base_model.0.name"));
            assertEquals("Org A", m.get("general.base_model.0.organization"));
            assertEquals("https://huggingface.co/org-b/parent-two", m.get("general.base_model.1.repo_url"));
            assertEquals("apache-2.0", m.get("general.license"));
            assertEquals("llama", m.get("tokenizer.ggml.model"));
            assertEquals("1", m.get("tokenizer.ggml.bos_token_id"));
            assertEquals("true", m.get("tokenizer.ggml.add_bos_token"));
            assertTrue(m.containsKey("tokenizer.chat_template"));
            assertEquals("16", m.get("llama.rope.dimension_count"));
            // 64-wide rows are not whole 256-blocks: Q4_K falls back to Q5_0, the output's Q6_K to Q8_0
            assertEquals(GgmlType.Q8_0, g.ggufTensor("output.weight").type());
            assertEquals(GgmlType.Q5_0, g.ggufTensor("blk.1.attn_q.weight").type());
            assertEquals(GgmlType.F32, g.ggufTensor("blk.0.attn_norm.weight").type());
        }
        // the Q/K permutation and names: attn_q's first row pairs are HF rows 0 and 8 of head 0 (head_dim 16)
        Path f32 = tmp.resolve("tiny.f32.gguf");
        assertEquals(0, cli("export", "gguf", model.toString(), f32.toString(), "--type", "f32").code());
        try (GgufFile g = GgufFile.open(f32); var src = dev.mergelab.model.ModelSource.open(model, "tiny")) {
            float[] ours = new float[64 * 64];
            g.decode(g.tensor("blk.0.attn_q.weight"), ours, 0);
            float[] hf = new float[64 * 64];
            src.tensor("model.layers.0.self_attn.q_proj.weight").decodeInto(hf);
            for (int c = 0; c < 64; c++) {
                assertEquals(hf[c], ours[c]);
                assertEquals(hf[8 * 64 + c], ours[64 + c]);
                assertEquals(hf[64 + c], ours[2 * 64 + c]);
            }
        }
    }

    @Test
    void refusesAnUnknownTypeAnExistingFileAndAnUnknownArchitecture() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("tiny"), TinyExportModels.llama(), 3);
        Run bad = cli("export", "gguf", model.toString(), tmp.resolve("x.gguf").toString(), "--type", "q3_k_xl");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown GGUF type 'q3_k_xl'") && bad.err().contains("q4_k_m"), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertFalse(Files.exists(tmp.resolve("x.gguf")));

        Path exists = Files.writeString(tmp.resolve("exists.gguf"), "keep me");
        Run clash = cli("export", "gguf", model.toString(), exists.toString(), "--type", "f16");
        assertEquals(2, clash.code());
        assertTrue(clash.err().contains("--force"), clash.err());
        assertEquals("keep me", Files.readString(exists));

        Files.writeString(model.resolve("config.json"), Files.readString(model.resolve("config.json"))
                .replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        Run arch = cli("export", "gguf", model.toString(), tmp.resolve("y.gguf").toString(), "--type", "f32");
        assertEquals(2, arch.code());
        assertTrue(arch.err().contains("GPT2LMHeadModel") && arch.err().contains("LlamaForCausalLM"), arch.err());
        assertFalse(Files.exists(tmp.resolve("y.gguf")));
    }

    @Test
    void aSentencePieceModelFileIsNamedInAWarning() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("tiny"), TinyExportModels.llama(), 3);
        Files.write(model.resolve("tokenizer.model"), new byte[] {1, 2, 3});
        Run r = cli("export", "gguf", model.toString(), tmp.resolve("z.gguf").toString(), "--type", "bf16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning:") && r.err().contains("tokenizer.model"), r.err());
    }

    /** Issue 14: every export run while a lab is active is recorded, the GGUF file a candidate with a quantized edge. */
    @Test
    void anExportIsRecordedInTheLabAsAQuantizedChild() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("tiny"), TinyExportModels.llama(), 3);
        Path lab = tmp.resolve("lab");
        assertEquals(0, cli("lab", "init", lab.toString()).code());
        Path out = tmp.resolve("tiny.q8_0.gguf");
        Run r = cli("export", "gguf", model.toString(), out.toString(), "--type", "q8_0", "--lab", lab.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("lab: recorded new candidate "), r.out());
        Run lineage = cli("lab", "lineage", out.toString(), "--json", "--lab", lab.toString());
        assertEquals(0, lineage.code(), lineage.err());
        assertTrue(lineage.out().contains("\"relation\" : \"quantized\"") || lineage.out().contains("\"relation\":\"quantized\""), lineage.out());
        Run show = cli("lab", "show", out.toString(), "--lab", lab.toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("llama") && show.out().contains("gguf file_type 7"), show.out());
    }
}
