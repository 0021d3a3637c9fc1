package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link WeightFiles#open} picks the reader by name, or by magic number for a name that says nothing. */
class WeightFilesTest {

    @TempDir
    Path tmp;

    private static MergeLabException refused(Path p) {
        MergeLabException e = assertThrows(MergeLabException.class, () -> WeightFiles.open(p));
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        assertFalse(e.oneLine().contains("\n"));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        return e;
    }

    @Test
    void safetensorsOpensWithTheSafetensorsReader() throws Exception {
        Path p = tmp.resolve("Model.SafeTensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(p, List.of(new SafetensorsWriter.Entry("x", DType.F32, new long[] {1})), Map.of())) {
            w.write("x", 0, ByteBuffer.allocate(4));
            w.finish(false);
        }
        try (WeightFile f = WeightFiles.open(p)) {
            assertInstanceOf(SafetensorsFile.class, f);
            assertEquals(List.of("x"), f.tensors().stream().map(TensorInfo::name).toList());
        }
    }

    @Test
    void ggufFilesGoToTheGgufReaderPytorchFilesToTheRestrictedUnpickler() throws Exception {
        Path gguf = Files.write(tmp.resolve("model-q4_k_m.gguf"), "GGUF\3\0\0\0".getBytes());
        assertTrue(refused(gguf).getMessage().contains("invalid GGUF file"), refused(gguf).getMessage()); // GgufRoundTripTest: valid ones open
        for (String name : List.of("pytorch_model.bin", "model.pt", "weights.pth")) {
            Path bin = Files.write(tmp.resolve(name), new byte[] {'P', 'K', 3, 4});
            MergeLabException e = refused(bin);
            assertTrue(e.getMessage().contains("not a readable torch.save zip"), e.getMessage());
        }
        Path real = Path.of("src/test/resources/pickle/valid/dtypes.bin");
        try (WeightFile f = WeightFiles.open(real)) {
            assertInstanceOf(dev.mergelab.format.pickle.TorchCheckpoint.class, f);
        }
    }

    @Test
    void aNameThatSaysNothingIsSniffedByItsMagicNumber() throws Exception {
        assertTrue(refused(Files.write(tmp.resolve("weights.dat"), "GGUF\3\0\0\0".getBytes())).getMessage().contains("GGUF"));
        assertTrue(refused(Files.write(tmp.resolve("archive"), new byte[] {'P', 'K', 3, 4, 0})).getMessage().contains("torch.save zip"));
        assertTrue(refused(Files.write(tmp.resolve("legacy.ckpt"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 0x0a})).oneLine()
                .contains("PyTorch state dicts"));
        assertTrue(refused(Files.write(tmp.resolve("notes.txt"), "hello".getBytes())).getMessage().contains("not a weight file"));
        assertTrue(refused(Files.write(tmp.resolve("tiny"), new byte[] {'G'})).getMessage().contains("not a weight file"));
        assertTrue(refused(tmp.resolve("missing")).getMessage().contains("not a weight file"));
    }

    @Test
    void aMalformedSafetensorsFileKeepsTheReadersMessage() throws Exception {
        Path p = Files.write(tmp.resolve("bad.safetensors"), new byte[3]);
        assertTrue(refused(p).getMessage().contains("file is 3 bytes"));
    }
}
