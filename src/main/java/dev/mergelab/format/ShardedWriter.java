package dev.mergelab.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model's tensors into one {@code model.safetensors} or, past {@code shardBytes}, into
 * {@code model-0000i-of-0000N.safetensors} shards plus {@code model.safetensors.index.json}, as
 * Transformers expects. Shards are planned up front from the ordered tensor list (a tensor never
 * straddles shards; one larger than the limit gets a shard of its own), so tensors can be written
 * concurrently and out of order.
 */
public final class ShardedWriter implements AutoCloseable {

    private final Path folder;
    private final List<SafetensorsWriter> shards = new ArrayList<>();
    private final Map<String, SafetensorsWriter> shardOf = new HashMap<>();
    private final Map<String, String> weightMap = new LinkedHashMap<>();
    private final long totalTensorBytes;
    private final String prefix;

    private ShardedWriter(Path folder, String prefix, long totalTensorBytes) {
        this.folder = folder;
        this.prefix = prefix;
        this.totalTensorBytes = totalTensorBytes;
    }

    /** Groups the ordered entries into shards of at most {@code shardBytes} tensor bytes. */
    public static List<List<SafetensorsWriter.Entry>> plan(List<SafetensorsWriter.Entry> entries, long shardBytes) {
        List<List<SafetensorsWriter.Entry>> out = new ArrayList<>();
        List<SafetensorsWriter.Entry> current = new ArrayList<>();
        long size = 0;
        for (SafetensorsWriter.Entry e : entries) {
            long b = e.byteSize();
            if (!current.isEmpty() && size + b > shardBytes) {
                out.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(e);
            size += b;
        }
        if (!current.isEmpty() || out.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    /** File name of shard {@code i} (0-based) of {@code n}; a single shard is {@code PREFIX.safetensors}. */
    public static String shardName(String prefix, int i, int n) {
        return n == 1 ? prefix + ".safetensors" : String.format("%s-%05d-of-%05d.safetensors", prefix, i + 1, n);
    }

    /**
     * Creates the shard files in {@code folder} (prefix {@code model}). {@code metadata} goes into every
     * shard's {@code __metadata__}.
     */
    public static ShardedWriter create(Path folder, String prefix, List<SafetensorsWriter.Entry> entries, long shardBytes,
            Map<String, String> metadata) throws IOException {
        long total = 0;
        for (SafetensorsWriter.Entry e : entries) {
            try {
                total = Math.addExact(total, e.byteSize()); // total_size in the index must not wrap
            } catch (ArithmeticException x) {
                throw new IllegalArgumentException("total tensor bytes overflow a long at tensor " + e.name());
            }
        }
        ShardedWriter w = new ShardedWriter(folder, prefix, total);
        List<List<SafetensorsWriter.Entry>> plan = plan(entries, shardBytes);
        try {
            for (int i = 0; i < plan.size(); i++) {
                String name = shardName(prefix, i, plan.size());
                SafetensorsWriter sw = SafetensorsWriter.create(folder.resolve(name), plan.get(i), metadata);
                w.shards.add(sw);
                for (SafetensorsWriter.Entry e : plan.get(i)) {
                    w.shardOf.put(e.name(), sw);
                    w.weightMap.put(e.name(), name);
                }
            }
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    public int shardCount() {
        return shards.size();
    }

    /** Flush every shard to disk in the background as it is written (for a merge that will fsync). */
    public void writeBackEarly() {
        for (SafetensorsWriter s : shards) {
            s.writeBackEarly();
        }
    }

    /** Positional, thread-safe write of part of tensor {@code name}. */
    public void write(String name, long byteOffset, ByteBuffer bytes) throws IOException {
        SafetensorsWriter w = shardOf.get(name);
        if (w == null) {
            throw new IllegalArgumentException("tensor " + name + " was not planned");
        }
        w.write(name, byteOffset, bytes);
    }

    /** Completes every shard (checking all bytes arrived) and writes the index when there are several. */
    public void finish(boolean fsync, Map<String, String> indexMetadata) throws IOException {
        for (SafetensorsWriter s : shards) {
            s.finish(fsync);
        }
        if (shards.size() > 1) {
            ShardIndex.write(folder.resolve(prefix + ".safetensors.index.json"), weightMap, totalTensorBytes, indexMetadata);
        }
    }

    /** SHA-256 (hex) of each shard by file name, digested while writing; after {@link #finish}. */
    public Map<String, String> shardSha256() {
        Map<String, String> out = new LinkedHashMap<>();
        for (SafetensorsWriter s : shards) {
            out.put(s.path().getFileName().toString(), s.sha256());
        }
        return out;
    }

    /** File names written, in order. */
    public List<String> fileNames() {
        List<String> names = new ArrayList<>();
        for (SafetensorsWriter s : shards) {
            names.add(s.path().getFileName().toString());
        }
        return names;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsWriter s : shards) {
            try {
                s.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
