package dev.mergelab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.model.TensorPatch;
import dev.mergelab.model.TensorRef;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task-vector statistics read values through the refs: row chunks of any length, LoRA patches applied. */
class TaskVectorStatsTest {

    @TempDir
    Path tmp;

    /** Adds {@code delta} to every element: a patch whose effect on the statistics is known exactly. */
    record AddConstant(float delta, int rowLength) implements TensorPatch {
        @Override
        public void applyTo(float[] decoded) {
            for (int i = 0; i < decoded.length; i++) {
                decoded[i] += delta;
            }
        }

        @Override
        public long workingBytes() {
            return 0;
        }

        @Override
        public String describe() {
            return "add " + delta;
        }

        @Override
        public RowPatcher rows() {
            return (rows, rowStart, n) -> {
                for (int i = 0; i < n * rowLength; i++) {
                    rows[i] += delta;
                }
            };
        }
    }

    /** Writes F32 tensors "base" and "ft" of {@code shape}: ft = base + small noise on every other element. */
    private SafetensorsFile write(long[] shape) throws Exception {
        Path file = tmp.resolve("m" + shape[0] + "x" + shape[1] + ".safetensors");
        int n = (int) (shape[0] * shape[1]);
        List<SafetensorsWriter.Entry> entries = List.of(new SafetensorsWriter.Entry("base", dev.mergelab.tensor.DType.F32, shape),
                new SafetensorsWriter.Entry("ft", dev.mergelab.tensor.DType.F32, shape));
        SplittableRandom rnd = new SplittableRandom(7);
        ByteBuffer base = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer ft = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float b = (float) rnd.nextGaussian();
            base.putFloat(b);
            ft.putFloat(i % 2 == 0 ? b + 0.25f : b);
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, Map.of())) {
            w.write("base", 0, base.flip());
            w.write("ft", 0, ft.flip());
            w.finish(false);
        }
        return SafetensorsFile.open(file);
    }

    @Test
    void aLoraAdaptedModelIsMeasuredWithItsAdapterApplied() throws Exception {
        try (SafetensorsFile f = write(new long[] {3, 5})) {
            TensorRef base = new TensorRef(f, f.tensor("base"));
            TensorRef adapted = new TensorRef(f, f.tensor("base"), new AddConstant(0.5f, 5));
            TaskVectorStats s = new TaskVectorStats(1);
            s.add(base, new TensorRef[] {adapted});
            assertEquals(15, s.elements);
            assertEquals(15, s.changed[0], "every element moved by the patch");
            assertEquals(15 * 0.25, s.deltaSq[0], 1e-5);
        }
    }

    @Test
    void rowChunksCoverTensorsWhoseRowsAreLongerOrShorterThanAChunk() throws Exception {
        for (long[] shape : new long[][] {{2, 40_000}, {5_000, 7}, {1, 3}}) {
            try (SafetensorsFile f = write(shape)) {
                TensorRef base = new TensorRef(f, f.tensor("base"));
                TensorRef ft = new TensorRef(f, f.tensor("ft"));
                TaskVectorStats s = new TaskVectorStats(2);
                s.add(base, new TensorRef[] {ft, base});
                long n = shape[0] * shape[1];
                float[] b = f.readFloats("base");
                double baseSq = 0;
                for (float x : b) {
                    baseSq += (double) x * x;
                }
                assertEquals(n, s.elements);
                assertEquals((n + 1) / 2, s.changed[0], "ft changed every other element");
                assertEquals(0, s.changed[1]);
                assertEquals((n + 1) / 2 * 0.0625, s.deltaSq[0], 1e-4 * n);
                assertEquals(baseSq, s.baseSq, 1e-6 * baseSq, "every row counted once");
            }
        }
    }
}
