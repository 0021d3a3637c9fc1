package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Background flushes start once a step has been written, never overlap, and leave the bytes as written. */
class EarlyWritebackTest {

    @TempDir
    Path tmp;

    @Test
    void flushesInStepsWhileWritersGoOn() throws Exception {
        Path file = tmp.resolve("out.bin");
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            EarlyWriteback w = new EarlyWriteback(ch, 64 << 10);
            for (int at = 0; at < data.length; at += 4096) {   // out of order: back half first
                int pos = (at + data.length / 2) % data.length;
                ch.write(ByteBuffer.wrap(data, pos, 4096), pos);
                w.wrote(4096);
            }
            w.finish();
            assertTrue(w.flushes() >= 1 && w.flushes() <= 16, "one flush per 64 KiB step at most: " + w.flushes());
            w.finish();   // idempotent
        }
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    @Test
    void writerWithEarlyWritebackWritesTheSameFile() throws Exception {
        float[] values = new float[300_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f;
        }
        byte[][] files = new byte[2][];
        for (int run = 0; run < 2; run++) {
            Path dir = Files.createDirectory(tmp.resolve("run" + run));
            var entries = java.util.List.of(new SafetensorsWriter.Entry("t", dev.mergelab.tensor.DType.F32, new long[] {values.length}));
            try (ShardedWriter w = ShardedWriter.create(dir, "model", entries, 1L << 30, java.util.Map.of())) {
                if (run == 1) {
                    w.writeBackEarly();
                }
                ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(values);
                w.write("t", 0, b);
                w.finish(true, java.util.Map.of());
            }
            files[run] = Files.readAllBytes(dir.resolve("model.safetensors"));
        }
        assertEquals(files[0].length, files[1].length);
        assertArrayEquals(files[0], files[1]);
    }
}
