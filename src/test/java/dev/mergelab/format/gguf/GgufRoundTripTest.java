package dev.mergelab.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.WeightFile;
import dev.mergelab.format.WeightFiles;
import dev.mergelab.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GgufWriter's files read back through GgufFile (and WeightFiles.open): metadata, layout and values. */
class GgufRoundTripTest {

    @TempDir
    Path tmp;

    /** Every metadata value type, nested arrays included, in the order written. */
    static Map<String, GgufValue> allValueTypes() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("t.u8", new GgufValue(GgufValueType.UINT8, 255L));
        m.put("t.i8", new GgufValue(GgufValueType.INT8, -128L));
        m.put("t.u16", new GgufValue(GgufValueType.UINT16, 65535L));
        m.put("t.i16", new GgufValue(GgufValueType.INT16, -32768L));
        m.put("t.u32", GgufValue.ofU32(4294967295L));
        m.put("t.i32", GgufValue.ofI32(Integer.MIN_VALUE));
        m.put("t.f32", GgufValue.ofF32(-1.5e-7f));
        m.put("t.bool", GgufValue.ofBool(true));
        m.put("t.str", GgufValue.ofString("héllo \u0000 wörld ✓"));
        m.put("t.u64", new GgufValue(GgufValueType.UINT64, -1L));
        m.put("t.i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE));
        m.put("t.f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        m.put("t.arr.str", GgufValue.ofArray(GgufArray.ofStrings("a", "", "Ġthe", "<0x0A>")));
        m.put("t.arr.f32", GgufValue.ofArray(GgufArray.ofFloats(0f, -0f, 1e-45f, Float.MAX_VALUE)));
        m.put("t.arr.i32", GgufValue.ofArray(GgufArray.ofIntegers(GgufValueType.INT32, 1, -2, 3)));
        m.put("t.arr.u8", GgufValue.ofArray(GgufArray.ofIntegers(GgufValueType.UINT8, 0, 7, 255)));
        m.put("t.arr.bool", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, new boolean[] {true, false})));
        m.put("t.arr.f64", GgufValue.ofArray(new GgufArray(GgufValueType.FLOAT64, new double[] {1.0 / 3})));
        m.put("t.arr.empty", GgufValue.ofArray(GgufArray.ofStrings()));
        m.put("t.arr.nested", GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
            GgufArray.ofIntegers(GgufValueType.INT64, 5, 6), GgufArray.ofStrings("x"),
            new GgufArray(GgufValueType.ARRAY, new GgufArray[] {GgufArray.ofFloats(2.5f)})})));
        return m;
    }

    @Test
    void metadataOfEveryTypeAndTensorsOfEveryCodecReadBack() throws Exception {
        Map<String, GgufValue> meta = allValueTypes();
        meta.put("general.alignment", GgufValue.ofU32(64));
        SplittableRandom rnd = new SplittableRandom(7);
        List<GgufWriter.Entry> entries = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        List<float[]> sources = new ArrayList<>();
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1,
            GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};
        for (GgmlType t : types) {
            long[] shape = {3, 512}; // 3 rows of 512
            float[] x = new float[3 * 512];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            byte[] b = new byte[(int) t.rowBytes(x.length)];
            GgmlCodec.encode(t, x, 0, b, 0, x.length);
            entries.add(GgufWriter.Entry.ofShape("blk.0." + t.ggmlName() + ".weight", t, shape));
            data.add(b);
            sources.add(x);
        }
        entries.add(new GgufWriter.Entry("scalar", GgmlType.F32, new long[0]));
        data.add(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(42f).array());
        entries.add(new GgufWriter.Entry("empty", GgmlType.F16, new long[] {0, 4}));
        data.add(new byte[0]);
        Path p = tmp.resolve("all.gguf");
        GgufWriter.write(p, meta, entries, data);

        try (WeightFile wf = WeightFiles.open(p)) {
            GgufFile f = assertInstanceOf(GgufFile.class, wf);
            assertEquals(3, f.header().version());
            assertEquals(64, f.header().alignment());
            assertEquals(0, f.header().dataOffset() % 64);
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(f.header().metadata().keySet()));
            meta.forEach((k, v) -> assertEquals(v, f.header().metadata().get(k), k));
            assertEquals("[i64 × 2] 5, 6", f.header().metadata().get("t.arr.nested").asArray().get(0).toString());
            assertEquals("18446744073709551615", f.metadata().get("t.u64"));
            for (int i = 0; i < types.length; i++) {
                GgmlType t = types[i];
                TensorInfo info = f.tensor("blk.0." + t.ggmlName() + ".weight");
                assertArrayEquals(new long[] {3, 512}, info.shape());
                assertArrayEquals(new long[] {512, 3}, f.ggufTensor(info.name()).ne());
                assertEquals(t.rowBytes(3 * 512), info.byteSize());
                assertEquals(info.begin() % 64, 0);
                assertEquals(t.blockSize == 1, f.isVerbatim(info), t.toString());
                assertEquals(t == GgmlType.F16 ? DType.F16 : t == GgmlType.BF16 ? DType.BF16 : DType.F32, info.dtype());
                float[] expected = new float[3 * 512];
                GgmlCodec.decode(t, data.get(i), 0, expected, 0, expected.length);
                float[] all = f.readFloats(info.name());
                assertArrayEquals(expected, all, t.toString());
                float[] row = new float[512 + 3];
                f.decodeRows(info, 2, 1, row, 3); // one row, at an offset
                for (int j = 0; j < 512; j++) {
                    assertEquals(Float.floatToRawIntBits(expected[1024 + j]), Float.floatToRawIntBits(row[3 + j]));
                }
                float[] before = sources.get(i);
                if (t == GgmlType.F32) {
                    assertArrayEquals(before, all);
                }
                assertThrows(IndexOutOfBoundsException.class, () -> f.decodeRows(info, 2, 2, new float[2048], 0));
            }
            assertArrayEquals(new float[] {42f}, f.readFloats("scalar"));
            assertArrayEquals(new long[0], f.tensor("scalar").shape());
            assertEquals(0, f.readFloats("empty").length);
            assertEquals(Files.size(p), f.fileSize());
        }
    }

    /** Rows longer than the 256 KiB staging buffer decode in pieces, with the same values as decoding them whole. */
    @Test
    void rowsLongerThanTheStagingBufferDecodeInPieces() throws Exception {
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 256 * 2048; // a Q4_K row of 294,912 bytes
        byte[] b = new byte[(int) GgmlType.Q4_K.rowBytes(2L * n)];
        rnd.nextBytes(b);
        for (int blk = 0; blk < b.length; blk += GgmlType.Q4_K.typeSize) {
            b[blk + 1] &= 0x3B; // finite d and dmin (exponent below 31)
            b[blk + 3] &= 0x3B;
        }
        Path p = tmp.resolve("long.gguf");
        GgufWriter.write(p, Map.of(), List.of(new GgufWriter.Entry("w", GgmlType.Q4_K, new long[] {n, 2})), List.of(b));
        float[] expected = new float[2 * n];
        GgmlCodec.decode(GgmlType.Q4_K, b, 0, expected, 0, 2 * n);
        try (GgufFile f = GgufFile.open(p)) {
            float[] got = new float[2 * n + 5];
            f.decodeRows(f.tensor("w"), 0, 2, got, 5);
            assertArrayEquals(expected, Arrays.copyOfRange(got, 5, got.length));
        }
    }

    /** WeightFiles.open reads GGUF (by name or magic), and readableFormat names it (model.gguf maps its names). */
    @Test
    void weightFilesOpensGgufByNameOrMagic() throws Exception {
        Path named = tmp.resolve("m.gguf");
        GgufWriter.write(named, Map.of(), List.of(), List.of());
        Path sniffed = Files.copy(named, tmp.resolve("weights.dat"));
        for (Path p : List.of(named, sniffed)) {
            try (WeightFile f = WeightFiles.open(p)) {
                assertInstanceOf(GgufFile.class, f);
            }
            assertEquals(WeightFiles.Format.GGUF, WeightFiles.readableFormat(p));
        }
    }

    @Test
    void anEmptyFileWithoutTensorsOrMetadataIsValid() throws Exception {
        Path p = tmp.resolve("empty.gguf");
        GgufWriter.write(p, Map.of(), List.of(), List.of());
        assertEquals(24, Files.size(p)); // magic, version, two counts; no padding without tensors
        try (GgufFile f = GgufFile.open(p)) {
            assertTrue(f.tensors().isEmpty());
            assertTrue(f.metadata().isEmpty());
            assertEquals(24, f.header().dataOffset());
        }
    }

    @Test
    void aTypeMergeLabCannotDecodeOpensButRefusesToDecodeInOneLine() throws Exception {
        Path p = tmp.resolve("iq.gguf");
        GgufWriter.write(p, Map.of(), List.of(new GgufWriter.Entry("w", GgmlType.IQ2_XXS, new long[] {256, 2})),
                List.of(new byte[2 * GgmlType.IQ2_XXS.typeSize]));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(GgmlType.IQ2_XXS, f.ggufTensor("w").type());
            assertFalse(f.isVerbatim(f.tensor("w")));
            MergeLabException e = assertThrows(MergeLabException.class, () -> f.readFloats("w"));
            assertEquals(MergeLabException.Kind.INPUT, e.kind());
            assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains("IQ2_XXS"), e.getMessage());
        }
    }

    @Test
    void theWriterLeavesNoFileWhenNotFinished() throws Exception {
        Path p = tmp.resolve("partial.gguf");
        try (GgufWriter w = GgufWriter.create(p, Map.of(), List.of(new GgufWriter.Entry("a", GgmlType.F32, new long[] {4})))) {
            w.write(new byte[8]);
            assertThrows(IllegalStateException.class, w::finish);
        }
        assertFalse(Files.exists(p));
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.count());
        }
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.create(p, Map.of(),
                List.of(new GgufWriter.Entry("q", GgmlType.Q4_K, new long[] {100}))));
    }
}
