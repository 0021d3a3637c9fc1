package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.format.gguf.GgufValue;
import dev.mergelab.format.gguf.GgufWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF file that cannot become a Transformers model is refused in one line, exit 2, naming what is wrong: an
 * architecture with no way back (and the ones that have one), a missing metadata key, a tensor with no Hugging Face
 * name; and no companion folder is left behind.
 */
class GgufImportBadInputTest {

    @TempDir
    Path tmp;

    private Path good;
    private Path ids;

    @BeforeEach
    void export() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("llama"), TinyExportModels.llama().sized(64, 128, 1), 2);
        good = tmp.resolve("good.gguf");
        GgufExport.export(model, good, ExportType.F32, 2, w -> { });
        ids = Files.writeString(tmp.resolve("ids.json"), "[[1, 2, 3]]");
    }

    /** The good file rewritten with its metadata (and tensor names) edited. */
    private Path edited(String name, Consumer<Map<String, GgufValue>> meta, String renameFrom, String renameTo) throws Exception {
        Path out = tmp.resolve(name);
        try (GgufFile f = GgufFile.open(good)) {
            Map<String, GgufValue> m = new LinkedHashMap<>(f.header().metadata());
            meta.accept(m);
            List<GgufWriter.Entry> entries = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            for (TensorInfo t : f.tensors()) {
                var g = f.ggufTensor(t.name());
                entries.add(new GgufWriter.Entry(t.name().equals(renameFrom) ? renameTo : t.name(), g.type(), g.ne()));
                data.add(f.bytes(t).toArray(ValueLayout.JAVA_BYTE));
            }
            GgufWriter.write(out, m, entries, data);
        }
        return out;
    }

    private String refused(Path file) {
        long tempsBefore = companions();
        GgufImportCommandsTest.Run r = GgufImportCommandsTest.cli("logits", file.toString(), "--ids", ids.toString(), "--out",
                tmp.resolve("logits.safetensors").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals(tempsBefore, companions(), "a companion folder was left behind");
        return r.err();
    }

    private static long companions() {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("mergelab-gguf-")).count();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anArchitectureWithoutAWayBackIsNamedWithTheSupportedOnes() throws Exception {
        String err = refused(edited("bert.gguf", m -> m.put("general.architecture", GgufValue.ofString("bert")), null, null));
        assertTrue(err.contains("GGUF architecture 'bert' has no mapping back to a Hugging Face model"), err);
        assertTrue(err.contains("supported: llama, qwen2, gemma"), err);
    }

    @Test
    void missingMetadataIsNamedByItsKey() throws Exception {
        String err = refused(edited("no-blocks.gguf", m -> m.remove("llama.block_count"), null, null));
        assertTrue(err.contains("GGUF metadata has no llama.block_count"), err);
        err = refused(edited("no-arch.gguf", m -> m.remove("general.architecture"), null, null));
        assertTrue(err.contains("GGUF metadata has no general.architecture"), err);
        err = refused(edited("no-heads.gguf", m -> m.remove("llama.attention.head_count"), null, null));
        assertTrue(err.contains("GGUF metadata has no llama.attention.head_count"), err);
        err = refused(edited("text-arch.gguf", m -> m.put("llama.block_count", GgufValue.ofString("two")), null, null));
        assertTrue(err.contains("llama.block_count is STRING, not a count"), err);
    }

    @Test
    void aTensorWithNoHuggingFaceNameIsNamed() throws Exception {
        String err = refused(edited("odd.gguf", m -> { }, "blk.0.attn_v.weight", "blk.0.attn_mystery.weight"));
        assertTrue(err.contains("tensor 'blk.0.attn_mystery.weight' has no Hugging Face name for GGUF architecture 'llama'"), err);
        err = refused(edited("no-embed.gguf", m -> { }, "token_embd.weight", "output_norm.bias"));
        assertTrue(err.contains("no 2-D tensor token_embd.weight"), err);
    }
}
