package dev.mergelab.engine;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where {@link Executor} puts merged tensors: each output tensor arrives as its encoded bytes (the job's
 * output dtype, row-major), in pieces at byte offsets, possibly from several threads at once and, for a
 * tensor split across threads, out of order. Bytes rather than floats so a folder gets them with no
 * extra copy and an in-memory merge holds exactly what the folder would.
 */
public interface TensorSink {

    /**
     * Stores {@code bytes} (position to limit; consumed) at {@code byteOffset} of output tensor
     * {@code tensor}. Thread-safe for disjoint ranges.
     */
    void write(String tensor, long byteOffset, ByteBuffer bytes) throws IOException;
}
