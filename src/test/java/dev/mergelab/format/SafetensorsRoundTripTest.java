package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import dev.mergelab.testutil.Shared;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path tmp;

    @Test
    void readsEveryGoldenFile() {
        for (String f : List.of("inputs.safetensors", "outputs.safetensors")) {
            try (SafetensorsFile sf = SafetensorsFile.open(Shared.golden(f))) {
                assertTrue(sf.tensors().size() > 10, f);
                long total = 0;
                for (TensorInfo t : sf.tensors()) {
                    assertEquals(DType.F32, t.dtype());
                    float[] v = sf.readFloats(t.name());
                    assertEquals(t.numel(), v.length);
                    for (float x : v) {
                        assertTrue(Float.isFinite(x), t.name());
                    }
                    total += t.byteSize();
                }
                assertEquals(sf.fileSize() - sf.dataStart(), total);
            }
        }
        try (SafetensorsFile in = SafetensorsFile.open(Shared.golden("inputs.safetensors"))) {
            TensorInfo base = in.tensor("m/base");
            assertArrayEquals(new long[] {64, 48}, base.shape());
            // delta0 is ft0 - base computed in float32 by the peer: our decoding must reproduce it bit for bit.
            float[] b = in.readFloats("m/base");
            float[] ft = in.readFloats("m/ft0");
            float[] d = in.readFloats("m/delta0");
            for (int i = 0; i < b.length; i++) {
                assertEquals(d[i], ft[i] - b[i], 0f);
            }
        }
    }

    @Test
    void writesShardsThatReadBack() throws Exception {
        Random r = new Random(7);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        DType[] types = {DType.F32, DType.BF16, DType.F16, DType.F64};
        for (int i = 0; i < 9; i++) {
            long[] shape = {3 + i, 5};
            entries.add(new SafetensorsWriter.Entry("t" + i, types[i % types.length], shape));
            float[] v = new float[(int) (shape[0] * shape[1])];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) r.nextGaussian();
            }
            values.add(v);
        }
        try (ShardedWriter w = ShardedWriter.create(tmp, "model", entries, 200, Map.of("format", "pt"))) {
            // Write in reverse order and in two halves each, as concurrent workers would.
            for (int i = entries.size() - 1; i >= 0; i--) {
                SafetensorsWriter.Entry e = entries.get(i);
                float[] v = values.get(i);
                int half = v.length / 2;
                for (int[] part : new int[][] {{half, v.length - half}, {0, half}}) {
                    ByteBuffer buf = ByteBuffer.allocate(part[1] * e.dtype().size());
                    Codecs.encode(e.dtype(), v, part[0], part[1], MemorySegment.ofBuffer(buf), 0);
                    w.write(e.name(), (long) part[0] * e.dtype().size(), buf);
                }
            }
            w.finish(false, Map.of());
            assertTrue(w.shardCount() > 1);
        }
        ShardIndex index = ShardIndex.read(tmp.resolve(ShardIndex.FILE_NAME));
        assertEquals(entries.size(), index.weightMap().size());
        for (int i = 0; i < entries.size(); i++) {
            SafetensorsWriter.Entry e = entries.get(i);
            try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve(index.weightMap().get(e.name())))) {
                assertEquals("pt", f.metadata().get("format"));
                float[] got = f.readFloats(e.name());
                float[] want = values.get(i).clone();
                MemorySegment seg = MemorySegment.ofArray(new byte[want.length * e.dtype().size()]);
                Codecs.encode(e.dtype(), want, 0, want.length, seg, 0);
                Codecs.decode(e.dtype(), seg, 0, want, 0, want.length);
                assertArrayEquals(want, got, e.name());
            }
        }
    }
}
