package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.cli.InProcessCli.Run;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch {@code .bin} models through the real CLI: {@code convert} gives the bytes torch wrote (compared with the
 * safetensors the fixture script wrote from the same tensors), and a {@code .bin} folder is a model reference like
 * any other ({@code merge}, {@code logits}, {@code inspect}).
 */
class ConvertCommandTest {

    static final Path VALID = Path.of("src/test/resources/pickle/valid");
    static final Path EXPECTED = Path.of("src/test/resources/pickle/expected");
    static final Path TINY = VALID.resolve("tiny-llama-bin");
    static final Path TINY_SHARDED = VALID.resolve("tiny-llama-bin-sharded");

    /** Every tensor of {@code model} has the expected file's name, dtype, shape and bytes, in its order. */
    static void assertSameTensors(Path expected, Path model) {
        try (SafetensorsFile want = SafetensorsFile.open(expected); ModelSource got = ModelSource.open(model, "out")) {
            assertEquals(want.tensors().stream().map(TensorInfo::name).toList(), List.copyOf(got.tensors().keySet()));
            for (TensorInfo w : want.tensors()) {
                TensorRef g = got.tensor(w.name());
                assertEquals(w.dtype(), g.dtype(), w.name());
                assertArrayEquals(w.shape(), g.shape(), w.name());
                assertTrue(g.isVerbatim(), w.name());
                assertArrayEquals(want.data(w).toArray(ValueLayout.JAVA_BYTE), g.data().toArray(ValueLayout.JAVA_BYTE), w.name());
            }
        }
    }

    @Test
    void aBinFolderConvertsToTheBytesTorchWrote(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Run r = cli("convert", TINY.toString(), out.toString(), "--to", "safetensors");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("converted 21 tensors"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        assertSameTensors(EXPECTED.resolve("tiny-llama.safetensors"), out);
        for (String f : List.of("config.json", "tokenizer_config.json")) {
            assertEquals(Files.readString(TINY.resolve(f)), Files.readString(out.resolve(f)), f);
        }
        assertEquals(0, cli("verify", out.toString()).code(), "the manifest covers the folder");
    }

    @Test
    void aShardedFolderWithOneLegacyShardConvertsSharded(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Run r = cli("convert", TINY_SHARDED.toString(), out.toString(), "--to", "safetensors", "--out-shard-size", "4KB");
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> files = Files.list(out)) {
            assertTrue(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count() > 1);
        }
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors.index.json")));
        assertSameTensors(EXPECTED.resolve("tiny-llama.safetensors"), out);
        // --force replaces a folder MergeLab wrote, and the result is the same, byte for byte (twice in a row).
        byte[] before = Files.readAllBytes(out.resolve("model-00001-of-00004.safetensors"));
        Run again = cli("convert", TINY_SHARDED.toString(), out.toString(), "--to", "safetensors", "--out-shard-size", "4KB", "--force");
        assertEquals(0, again.code(), again.err());
        assertArrayEquals(before, Files.readAllBytes(out.resolve("model-00001-of-00004.safetensors")));
        // Metadata in a fixed order (a Map.of here once changed with every JVM's hash salt, so each run wrote other bytes).
        String header = new String(before, 8, 200, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.contains("\"__metadata__\":{\"format\":\"pt\",\"mergelab_version\":"), header);
        Run single = cli("convert", TINY.toString(), out.toString(), "--to", "safetensors", "--force");
        assertEquals(0, single.code(), single.err());
        assertSameTensors(EXPECTED.resolve("tiny-llama.safetensors"), out);
    }

    @Test
    void aSingleFileOfStridedViewsBecomesContiguous(@TempDir Path dir) throws Exception {
        for (String name : List.of("views.bin", "views-legacy.bin", "dtypes.bin", "dtypes-legacy.bin")) {
            Path out = dir.resolve(name + "-out");
            Run r = cli("convert", VALID.resolve(name).toString(), out.toString(), "--to", "safetensors");
            assertEquals(0, r.code(), r.err());
            assertSameTensors(EXPECTED.resolve(name + ".safetensors"), out);
        }
    }

    @Test
    void refusalsAreOneLineAndLeaveNothing(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Run wrongFormat = cli("convert", TINY.toString(), out.toString(), "--to", "gguf");
        assertEquals(2, wrongFormat.code());
        assertTrue(wrongFormat.err().contains("--to 'gguf': convert writes safetensors only"), wrongFormat.err());
        Path evil = Path.of("src/test/resources/pickle/malicious/os-system.bin");
        Run refused = cli("convert", evil.toString(), out.toString(), "--to", "safetensors");
        assertEquals(2, refused.code());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
        assertTrue(refused.err().contains("forbidden global 'posix.system'"), refused.err());
        assertFalse(Files.exists(out));
        Files.createDirectories(out);
        Files.writeString(out.resolve("notes.txt"), "mine");
        Run exists = cli("convert", TINY.toString(), out.toString(), "--to", "safetensors", "--force");
        assertEquals(2, exists.code(), exists.err());
        assertEquals("mine", Files.readString(out.resolve("notes.txt")), "--force never replaces a folder MergeLab did not write");
        Run inside = cli("convert", TINY.toString(), TINY.resolve("sub").toString(), "--to", "safetensors");
        assertEquals(2, inside.code(), inside.err());
        assertFalse(Files.exists(TINY.resolve("sub")));
    }

    @Test
    void binFoldersMergeAsParents(@TempDir Path dir) throws Exception {
        // Half of each copy of the same weights is the weights: the zip folder and the sharded zip+legacy folder must
        // decode identically (the transposed down_proj included) for the output to equal torch's tensors.
        Path recipe = dir.resolve("recipe.yml");
        Files.writeString(recipe, """
                merge_method: linear
                models:
                  - model: %s
                    parameters: {weight: 0.5}
                  - model: %s
                    parameters: {weight: 0.5}
                dtype: bfloat16
                """.formatted(TINY.toAbsolutePath(), TINY_SHARDED.toAbsolutePath()));
        Path out = dir.resolve("merged");
        Run r = cli("merge", recipe.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        assertSameTensors(EXPECTED.resolve("tiny-llama.safetensors"), out);
    }

    @Test
    void aBinFolderRunsTheForwardPassAsItsConversionDoes(@TempDir Path dir) throws Exception {
        Path ids = Files.writeString(dir.resolve("ids.json"), "[[1, 5, 7, 30], [2]]");
        Path converted = dir.resolve("st");
        assertEquals(0, cli("convert", TINY.toString(), converted.toString(), "--to", "safetensors").code());
        Run fromBin = cli("logits", TINY.toString(), "--ids", ids.toString(), "--out", dir.resolve("bin.safetensors").toString());
        assertEquals(0, fromBin.code(), fromBin.err());
        Run fromSt = cli("logits", converted.toString(), "--ids", ids.toString(), "--out", dir.resolve("st.safetensors").toString());
        assertEquals(0, fromSt.code(), fromSt.err());
        try (SafetensorsFile a = SafetensorsFile.open(dir.resolve("bin.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(dir.resolve("st.safetensors"))) {
            for (TensorInfo t : a.tensors()) {
                assertArrayEquals(a.readFloats(t.name()), b.readFloats(t.name()), t.name());
            }
            assertEquals(2, a.tensors().size());
        }
        Run inspect = cli("inspect", TINY_SHARDED.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("(pytorch-sharded, 2 files)") && inspect.out().contains("architecture: llama"), inspect.out());
    }
}
