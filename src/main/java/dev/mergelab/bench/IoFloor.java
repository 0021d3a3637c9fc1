package dev.mergelab.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The I/O floor a merge is compared with, measured in the same run on the same files: read every input
 * byte the merge reads, then write an output-sized file to the output file system (fsynced when the
 * merge fsyncs). No merge can beat it on this machine, so "ratio to floor" isolates our overhead.
 */
public final class IoFloor {

    private static final int BUFFER = 16 << 20;

    /** Seconds to read, seconds to write, and the bytes of each. */
    public record Result(double readSeconds, long readBytes, double writeSeconds, long writeBytes) {
        public double seconds() {
            return readSeconds + writeSeconds;
        }
    }

    private IoFloor() {
    }

    public static Result measure(List<Path> inputs, Path outputFolder, long outputBytes, boolean fsync) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        long t0 = System.nanoTime();
        long read = 0;
        for (Path p : inputs) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                int n;
                while ((n = ch.read(buf.clear())) > 0) {
                    read += n;
                }
            }
        }
        long t1 = System.nanoTime();
        Files.createDirectories(outputFolder);
        Path out = outputFolder.resolve(".mergelab-io-floor.bin");
        long written = 0;
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            // Non-zero bytes so no file system can shortcut them.
            for (int i = 0; i < BUFFER; i++) {
                buf.put(i, (byte) (i * 31 + 7));
            }
            while (written < outputBytes) {
                int n = (int) Math.min(BUFFER, outputBytes - written);
                buf.clear().limit(n);
                while (buf.hasRemaining()) {
                    written += ch.write(buf);
                }
            }
            if (fsync) {
                ch.force(true);
            }
        } finally {
            Files.deleteIfExists(out);
        }
        long t2 = System.nanoTime();
        return new Result((t1 - t0) / 1e9, read, (t2 - t1) / 1e9, written);
    }
}
