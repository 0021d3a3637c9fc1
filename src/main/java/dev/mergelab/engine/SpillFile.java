package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only scratch file for merged tensors that should not stay on the heap: each tensor is written
 * once and mapped back read-only, so a forward pass over a recipe's virtual child reads it from the page cache
 * (which the OS may drop and re-read) instead of holding the whole model in Java arrays. The file is unlinked
 * right after it is created, so nothing is left behind whatever way the process ends; the open channel and
 * the mappings keep its pages until {@link #close}.
 */
final class SpillFile implements AutoCloseable {

    /** Tensors start on this boundary, so vector loads of a mapped tensor are aligned like a safetensors shard's. */
    private static final int ALIGNMENT = 64;

    private final Path dir;
    private final FileChannel channel;
    private final Arena arena = Arena.ofShared();
    private long end;

    private SpillFile(Path dir, FileChannel channel) {
        this.dir = dir;
        this.channel = channel;
    }

    /**
     * A scratch file in {@code dir} for about {@code expectedBytes}; a one-line error when the directory
     * lacks the space (checked now, so a forward pass does not fail half-way through its first step).
     */
    static SpillFile create(Path dir, long expectedBytes) {
        try {
            Files.createDirectories(dir);
            long free = Files.getFileStore(dir).getUsableSpace();
            if (free < expectedBytes) {
                throw MergeLabException.input("the merged model needs " + expectedBytes + " bytes of scratch space in " + dir
                        + " but only " + free + " are free",
                        "set MERGELAB_TMP to a directory with more space, or write the merge to a folder first (./mergelab merge)");
            }
            Path file = Files.createTempFile(dir, "mergelab-child-", ".tmp");
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                Files.delete(file);
            } catch (IOException e) {
                file.toFile().deleteOnExit();   // a file system that cannot unlink an open file
            }
            return new SpillFile(dir, channel);
        } catch (IOException e) {
            throw MergeLabException.input("cannot create a scratch file in " + dir + ": " + e.getMessage(),
                    "set MERGELAB_TMP to a writable directory");
        }
    }

    /** Appends {@code bytes} and returns them mapped read-only from the file. */
    synchronized MemorySegment append(byte[] bytes) {
        long offset = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        try {
            ByteBuffer src = ByteBuffer.wrap(bytes);
            long at = offset;
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
            end = offset + bytes.length;
            if (bytes.length == 0) {
                return MemorySegment.ofArray(bytes);
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, offset, bytes.length, arena);
        } catch (IOException e) {
            throw MergeLabException.input("writing the merged model's scratch file in " + dir + " failed: " + e.getMessage(),
                    "check the free space there, or set MERGELAB_TMP to another directory");
        }
    }

    /** Bytes written so far (alignment padding included). */
    synchronized long size() {
        return end;
    }

    /** Unmaps every tensor (none may be read after this) and releases the file. */
    @Override
    public synchronized void close() {
        try {
            arena.close();
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
