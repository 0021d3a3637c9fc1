package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer refuses, before creating anything, every header the reader would refuse: names and shapes
 * reach it from untrusted input checkpoints, and a merge must not end by writing an unreadable file.
 */
class SafetensorsWriterHardeningTest {

    @TempDir
    Path tmp;

    private void refused(List<SafetensorsWriter.Entry> entries, Map<String, String> metadata, String fragment) {
        Path f = tmp.resolve("out.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.create(f, entries, metadata));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertFalse(Files.exists(f), "nothing may be created for a refused header");
    }

    private static SafetensorsWriter.Entry entry(String name, DType dtype, long... shape) {
        return new SafetensorsWriter.Entry(name, dtype, shape);
    }

    @Test
    void refusesTensorNamedMetadata() {
        refused(List.of(entry("__metadata__", DType.F32, 2)), Map.of(), "cannot be named __metadata__");
    }

    @Test
    void refusesNegativeAndOverflowingShapes() {
        refused(List.of(entry("a", DType.F32, -2)), Map.of(), "negative or overflows");
        refused(List.of(entry("a", DType.U8, 1L << 40, 1L << 40)), Map.of(), "negative or overflows");
        refused(List.of(entry("a", DType.F64, 1L << 61)), Map.of(), "negative or overflows");
        refused(List.of(entry("a", DType.U8, 0, 1L << 62, 1L << 62)), Map.of(), "negative or overflows");
    }

    @Test
    void refusesTotalSizeOverflow() {
        refused(List.of(entry("a", DType.U8, 1L << 62), entry("b", DType.U8, 1L << 62)), Map.of(), "overflow a long");
    }

    @Test
    void refusesRankOver64() {
        long[] shape = new long[65];
        java.util.Arrays.fill(shape, 1);
        refused(List.of(new SafetensorsWriter.Entry("a", DType.F32, shape)), Map.of(), "more than 64 dimensions");
    }

    @Test
    void refusesLoneSurrogates() {
        refused(List.of(entry("a\ud800", DType.F32, 2)), Map.of(), "unpaired UTF-16 surrogate");
        refused(List.of(entry("a", DType.F32, 2)), Map.of("k", "v\udc00"), "unpaired UTF-16 surrogate");
    }

    @Test
    void refusesTooManyTensorsAndMetadata() {
        List<SafetensorsWriter.Entry> many = Collections.nCopies(SafetensorsHeader.MAX_TENSORS + 1, entry("a", DType.U8, 0));
        refused(many, Map.of(), "exceed the 1000000 per file");
        Map<String, String> meta = new java.util.HashMap<>();
        for (int i = 0; i <= SafetensorsHeader.MAX_METADATA_ENTRIES; i++) {
            meta.put("k" + i, "v");
        }
        refused(List.of(entry("a", DType.F32, 2)), meta, "metadata entries");
    }

    @Test
    void refusesDuplicateNames() {
        refused(List.of(entry("a", DType.F32, 2), entry("a", DType.F32, 2)), Map.of(), "duplicate tensor name");
    }

    /** byteOffset + length used to be computed unchecked; near Long.MAX_VALUE it wrapped negative. */
    @Test
    void positionalWriteBoundsCannotOverflow() throws Exception {
        Path f = tmp.resolve("w.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(f, List.of(entry("a", DType.F32, 2)), Map.of())) {
            for (long off : new long[] {Long.MAX_VALUE - 2, Long.MAX_VALUE, -1, 1}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> w.write("a", off, ByteBuffer.allocate(8)));
                assertTrue(e.getMessage().contains("write outside tensor"), e.getMessage());
            }
            w.write("a", 0, ByteBuffer.allocate(8));
            w.finish(false);
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(1, sf.tensors().size());
        }
    }

    /** Names that are odd but legal (empty, control characters, NUL, emoji) are written and read back. */
    @Test
    void oddButLegalNamesRoundTrip() throws Exception {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (String name : List.of("", "a\nb", "nul\0", "\ud83d\ude00", "\u202e", "__metadata", " ")) {
            entries.add(entry(name, DType.U8, 0));
        }
        Path f = tmp.resolve("odd.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(f, entries, Map.of("\n", "\u0000"))) {
            w.finish(false);
        }
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            for (SafetensorsWriter.Entry e : entries) {
                assertEquals(0, sf.tensor(e.name()).byteSize(), e.name());
            }
            assertEquals(Map.of("\n", "\u0000"), sf.metadata());
        }
    }
}
