package dev.mergelab.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model given as a file or folder MergeLab cannot read as one says so in one line. */
class ModelSourceFormatsTest {

    @TempDir
    Path tmp;

    private static String refused(Path p) {
        MergeLabException e = assertThrows(MergeLabException.class, () -> ModelSource.open(p, "m"));
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        return e.oneLine();
    }

    @Test
    void aBrokenGgufFileOrAFolderHoldingOneIsRefusedByTheGgufReader() throws Exception {
        Path file = Files.write(tmp.resolve("model.gguf"), "GGUF\3\0\0\0".getBytes());
        assertTrue(refused(file).contains("invalid GGUF file"), refused(file));
        // A model reference to it resolves (it is a GGUF file); opening it reads the header.
        assertEquals(file, ModelResolver.offline().resolve(ModelRef.parse(file.toString())).base());
        Path folder = Files.createDirectory(tmp.resolve("folder"));
        Files.write(folder.resolve("model.gguf"), "GGUF\3\0\0\0".getBytes());
        assertTrue(refused(folder).contains("invalid GGUF file"), refused(folder));
        Files.write(folder.resolve("model-q8_0.gguf"), "GGUF\3\0\0\0".getBytes());
        assertTrue(refused(folder).contains("holds 2 .gguf files (model-q8_0.gguf, model.gguf)"), refused(folder));
    }

    @Test
    void aPytorchFolderIsReadByTheRestrictedUnpicklerAndOtherFilesAreNotWeights() throws Exception {
        Path folder = Files.createDirectory(tmp.resolve("bin"));
        Files.write(folder.resolve("pytorch_model.bin"), new byte[] {'P', 'K', 3, 4});
        assertTrue(refused(folder).contains("pytorch_model.bin: not a readable torch.save zip"), refused(folder));
        assertTrue(refused(folder.resolve("pytorch_model.bin")).contains("not a readable torch.save zip"));
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertTrue(refused(empty).contains("no .safetensors or pytorch_model.bin weights in this folder"), refused(empty));
        Path txt = Files.write(tmp.resolve("notes.txt"), "hi".getBytes());
        assertTrue(refused(txt).contains("not a weight file MergeLab reads"), refused(txt));
    }
}
