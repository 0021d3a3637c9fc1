package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files and tensors past 2 GiB and 4 GiB (where int offsets or 32-bit lengths would break). The files are
 * sparse (a hole made by {@link RandomAccessFile#setLength} or by positional writes), so they cost no disk
 * and the tests run in well under a second; the timeout guards against a reader that touches every page.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class LargeFileTest {

    private static final long BIG = (1L << 32) + 8; // a U8 tensor crossing both the 2 GiB and 4 GiB marks
    private static final float[] TAIL = {1.5f, -2f, 3.25f, 1e30f};

    @TempDir
    Path tmp;

    /** Header written by hand, the hole made with setLength, then the last tensor written past 4 GiB. */
    @Test
    void readsTensorBeyondFourGiBOfSparseFile() throws Exception {
        String json = "{" + Hostile.entry("big", "U8", "[" + BIG + "]", 0, BIG) + ","
                + Hostile.entry("tail", "F32", "[4]", BIG, BIG + 16) + "}";
        byte[] header = Hostile.utf8(json);
        long dataStart = 8 + header.length;
        Path f = tmp.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
            raf.setLength(dataStart + BIG + 16);
            raf.seek(dataStart + BIG - 1);
            raf.write(0x7F); // last byte of "big"
            raf.write(floatsLE(TAIL));
        }
        checkSparseFile(f, dataStart);
    }

    /** The same layout produced by SafetensorsWriter's positional writes (only the written ends hit disk). */
    @Test
    void writerPlacesTensorBeyondFourGiB() throws Exception {
        Path f = tmp.resolve("written.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("big", DType.U8, new long[] {BIG}),
                new SafetensorsWriter.Entry("tail", DType.F32, new long[] {4}));
        long dataStart;
        try (SafetensorsWriter w = SafetensorsWriter.create(f, entries, Map.of())) {
            dataStart = SafetensorsWriter.fileSize(entries, Map.of()) - BIG - 16;
            w.write("big", BIG - 1, ByteBuffer.wrap(new byte[] {0x7F}));
            w.write("tail", 0, ByteBuffer.wrap(floatsLE(TAIL)));
            // close, not finish: finish insists that every byte was written, and the hole was not.
        }
        assertEquals(SafetensorsWriter.fileSize(entries, Map.of()), Files.size(f));
        checkSparseFile(f, dataStart);
    }

    private static void checkSparseFile(Path f, long dataStart) {
        assertTrue(Files.exists(f));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(dataStart, sf.dataStart());
            assertTrue(sf.fileSize() > (1L << 32) + 16);
            TensorInfo tail = sf.tensor("tail");
            assertTrue(sf.dataStart() + tail.begin() > 1L << 32, "tail must lie past 4 GiB");
            assertArrayEquals(TAIL, sf.readFloats("tail"));
            MemorySegment big = sf.data(sf.tensor("big"));
            assertEquals(BIG, big.byteSize());
            assertEquals(0x7F, big.get(ValueLayout.JAVA_BYTE, BIG - 1));
            assertEquals(0, big.get(ValueLayout.JAVA_BYTE, 1L << 31)); // inside the hole, at the 2 GiB mark
            // A tensor too large for one Java array is a clear user error, not a NegativeArraySizeException.
            MergeLabException e = assertThrows(MergeLabException.class, () -> sf.readFloats("big"));
            assertEquals(MergeLabException.Kind.INPUT, e.kind());
            assertTrue(e.getMessage().contains("4294967304 elements, too many for one array"), e.getMessage());
        }
    }

    private static byte[] floatsLE(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }
}
