package dev.mergelab.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mergelab.engine.FileHashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The SHA-256 digested while a file is written out of order, by several threads, equals the file's. */
class PrefixDigestTest {

    @Property(tries = 60)
    void outOfOrderConcurrentWritesDigestLikeTheFile(@ForAll @IntRange(min = 0, max = 200_000) int size,
            @ForAll @IntRange(min = 1, max = 5000) int step, @ForAll @IntRange(min = 1, max = 4) int threads,
            @ForAll @LongRange long seed) throws Exception {
        Random rnd = new Random(seed);
        byte[] content = new byte[size];
        rnd.nextBytes(content);
        // Cut [0, size) into random pieces and write them in a random order from several threads.
        List<long[]> pieces = new ArrayList<>();
        for (long at = 0; at < size; ) {
            long len = Math.min(size - at, 1 + rnd.nextInt(3000));
            pieces.add(new long[] {at, at + len});
            at += len;
        }
        Collections.shuffle(pieces, rnd);
        Path file = Files.createTempFile("prefix-digest", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            PrefixDigest d = new PrefixDigest(ch, step);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (long[] p : pieces) {
                    done.add(pool.submit(() -> {
                        ByteBuffer b = ByteBuffer.wrap(content, (int) p[0], (int) (p[1] - p[0]));
                        long pos = p[0];
                        while (b.hasRemaining()) {
                            pos += ch.write(b, pos);
                        }
                        d.written(p[0], p[1]);
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(FileHashes.sha256(file), d.finish(size));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aGapIsAnError() throws IOException {
        Path file = Files.createTempFile("prefix-digest", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ch.write(ByteBuffer.wrap(new byte[100]), 0);
            PrefixDigest d = new PrefixDigest(ch, 10);
            d.written(0, 40);
            d.written(50, 100);
            assertThrows(IllegalStateException.class, () -> d.finish(100));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
