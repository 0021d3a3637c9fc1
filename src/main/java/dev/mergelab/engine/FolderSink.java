package dev.mergelab.engine;

import dev.mergelab.format.ShardedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;

/** The output folder's shards as a sink: every piece goes straight to its place in its shard file. */
public record FolderSink(ShardedWriter writer) implements TensorSink {

    @Override
    public void write(String tensor, long byteOffset, ByteBuffer bytes) throws IOException {
        writer.write(tensor, byteOffset, bytes);
    }
}
