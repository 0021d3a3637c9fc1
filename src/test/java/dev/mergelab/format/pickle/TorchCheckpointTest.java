package dev.mergelab.format.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Files written by real torch.save (PyTorch 1.13, {@code scripts/pickle-ref/make_fixtures.py}) read back bit for
 * bit: every tensor's raw bytes (as convert copies them) and its float32 decode (as merges read it, whole and row
 * by row) equal the same tensors made contiguous and written by the script as safetensors.
 */
class TorchCheckpointTest {

    static final Path VALID = Path.of("src/test/resources/pickle/valid");
    static final Path EXPECTED = Path.of("src/test/resources/pickle/expected");

    static Stream<Arguments> fixtures() {
        return Stream.of(
                Arguments.of("dtypes.bin", "dtypes.bin", "zip"),
                Arguments.of("dtypes-legacy.bin", "dtypes-legacy.bin", "legacy"),
                Arguments.of("views.bin", "views.bin", "zip"),
                Arguments.of("views-legacy.bin", "views-legacy.bin", "legacy"),
                Arguments.of("custom.name.v2.pt", "custom-archive", "zip"),
                Arguments.of("buffer-archive.bin", "custom-archive", "zip"),
                Arguments.of("protocol4.bin", "protocol4", "zip"),
                Arguments.of("protocol4-legacy.bin", "protocol4-legacy", "legacy"),
                Arguments.of("state-dict.bin", "state-dict.bin", "zip"),
                Arguments.of("parameters.bin", "parameters.bin", "zip"),
                Arguments.of("tiny-llama-bin/pytorch_model.bin", "tiny-llama", "zip"),
                Arguments.of("tiny-llama-bin-sharded/pytorch_model-00002-of-00002.bin", null, "legacy"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void everyTensorEqualsTorchsOwnBitForBit(String file, String expected, String container) {
        try (TorchCheckpoint bin = TorchCheckpoint.open(VALID.resolve(file))) {
            assertEquals(container, bin.container());
            assertFalse(bin.tensors().isEmpty());
            if (expected == null) {
                return; // a shard: compared through its model folder in ConvertCommandTest
            }
            try (SafetensorsFile st = SafetensorsFile.open(EXPECTED.resolve(expected + ".safetensors"))) {
                assertEquals(st.tensors().stream().map(TensorInfo::name).toList(), bin.tensors().stream().map(TensorInfo::name).toList());
                for (TensorInfo want : st.tensors()) {
                    TensorInfo got = bin.tensor(want.name());
                    assertEquals(want.dtype(), got.dtype(), want.name());
                    assertArrayEquals(want.shape(), got.shape(), want.name());
                    assertSameBytes(st, want, bin, got);
                    assertSameFloats(st, want, bin, got);
                }
            }
        }
    }

    /** The raw elements, row-major: what {@code convert} writes. */
    static void assertSameBytes(SafetensorsFile st, TensorInfo want, TorchCheckpoint bin, TensorInfo got) {
        MemorySegment copy = MemorySegment.ofArray(new byte[(int) want.byteSize()]);
        if (got.numel() > 0) {
            bin.copyRows(got, 0, (int) got.rows(), copy, 0);
        }
        assertArrayEquals(st.data(want).toArray(ValueLayout.JAVA_BYTE), copy.toArray(ValueLayout.JAVA_BYTE), want.name());
        if (bin.isVerbatim(got)) {
            assertArrayEquals(st.data(want).toArray(ValueLayout.JAVA_BYTE), bin.bytes(got).toArray(ValueLayout.JAVA_BYTE), want.name());
        }
    }

    /** float32 decodes, whole and one row at a time into an offset, compared as bits (NaN payloads included). */
    static void assertSameFloats(SafetensorsFile st, TensorInfo want, TorchCheckpoint bin, TensorInfo got) {
        int n = (int) want.numel();
        float[] a = new float[n];
        float[] b = new float[n];
        st.decode(want, a, 0);
        bin.decode(got, b, 0);
        assertArrayEquals(bits(a), bits(b), want.name());
        if (n == 0) {
            return;
        }
        int len = (int) got.rowLength();
        float[] row = new float[len + 3];
        for (long r = got.rows() - 1; r >= 0; r--) { // backwards: the row cursor must not depend on order
            bin.decodeRows(got, r, 1, row, 3);
            for (int j = 0; j < len; j++) {
                assertEquals(Float.floatToRawIntBits(a[(int) (r * len + j)]), Float.floatToRawIntBits(row[3 + j]), want.name() + " row " + r);
            }
        }
    }

    private static int[] bits(float[] f) {
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }

    @Test
    void everyDtypeIsReadAsItsOwnType() {
        try (TorchCheckpoint bin = TorchCheckpoint.open(VALID.resolve("dtypes.bin"))) {
            assertEquals(List.of(DType.F32, DType.F16, DType.BF16, DType.F64, DType.I64, DType.I32, DType.I16, DType.I8, DType.U8, DType.BOOL,
                    DType.F32, DType.F16), bin.tensors().stream().map(TensorInfo::dtype).toList());
            assertEquals(0, bin.tensor("scalar").rank());
            assertArrayEquals(new long[] {0, 4}, bin.tensor("empty").shape());
        }
    }

    @Test
    void viewsShareTheirStorageAndOnlyRowMajorOnesAreVerbatim() {
        for (String file : List.of("views.bin", "views-legacy.bin")) {
            try (TorchCheckpoint bin = TorchCheckpoint.open(VALID.resolve(file))) {
                TensorInfo base = bin.tensor("base");
                TensorInfo tied = bin.tensor("tied");
                assertEquals(bin.bytes(base).address(), bin.bytes(tied).address(), "tied tensors map the same bytes");
                assertEquals(bin.bytes(base).address() + 6 * 4, bin.bytes(bin.tensor("rows")).address(), "rows start 6 elements in");
                for (String v : List.of("base", "tied", "rows", "element")) {
                    assertTrue(bin.isVerbatim(bin.tensor(v)), file + " " + v);
                }
                for (String v : List.of("cols", "transposed", "every_other", "column", "bf16_t", "bf16_slice", "permuted", "broadcast", "f64_t", "i8_t")) {
                    assertFalse(bin.isVerbatim(bin.tensor(v)), file + " " + v);
                }
                // A transpose spans its whole storage; a broadcast only the 3 elements it repeats.
                assertEquals(24 * 4, bin.tensor("transposed").byteSize());
                assertEquals(3 * 4, bin.tensor("broadcast").byteSize());
                assertNotNull(bin.tensor("permuted"));
            }
        }
    }
}
