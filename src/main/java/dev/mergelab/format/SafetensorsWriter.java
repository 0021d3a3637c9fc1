package dev.mergelab.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes one safetensors file whose header is computed up front from the tensor list, so tensor bytes
 * can then arrive in any order and from any thread ({@link #write} is a positional write). The header is
 * padded with spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned, as the reference
 * writer does.
 *
 * <p>It refuses (with {@link IllegalArgumentException}, before creating the file) anything
 * {@link SafetensorsHeader} would refuse to read back: a tensor named {@code __metadata__}, negative or
 * overflowing shapes, more than {@link SafetensorsHeader#MAX_RANK} dimensions, too many tensors or
 * metadata entries, unpaired surrogates in text, or a header over {@link SafetensorsHeader#MAX_HEADER_BYTES}.
 * Names reach the writer from input checkpoints, so a merge must not end by writing an unreadable file.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** A tensor to be written: its name, dtype and shape. */
    public record Entry(String name, DType dtype, long[] shape) {
        public long byteSize() {
            return Math.multiplyExact(Shape.numel(shape), (long) dtype.size());
        }
    }

    private static final JsonFactory JSON = new JsonFactory();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final long dataLength;
    private final Map<String, TensorInfo> byName;
    private final AtomicLong written = new AtomicLong();
    private final PrefixDigest digest;
    private volatile EarlyWriteback writeback;   // set when the file will be fsynced
    private String sha256;

    private SafetensorsWriter(Path path, FileChannel channel, long dataStart, long dataLength, Map<String, TensorInfo> byName)
            throws IOException {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.dataLength = dataLength;
        this.byName = byName;
        this.digest = new PrefixDigest(channel);
        digest.written(0, dataStart); // the header, written by create
    }

    /** Creates {@code file} (which must not exist) and writes its header. */
    public static SafetensorsWriter create(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        Map<String, TensorInfo> byName = new HashMap<>(entries.size() * 2);
        byte[] header = header(entries, metadata, byName);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        long dataLength = 0;
        for (Entry e : entries) {
            dataLength += e.byteSize(); // cannot overflow: header() checked the running sum
        }
        try {
            ByteBuffer buf = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length).put(header).flip();
            writeFully(ch, buf, 0);
            return new SafetensorsWriter(file, ch, 8L + header.length, dataLength, byName);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Size in bytes of the file {@link #create} would write for these entries. */
    public static long fileSize(List<Entry> entries, Map<String, String> metadata) {
        byte[] header = header(entries, metadata, new HashMap<>());
        long total = 8L + header.length;
        for (Entry e : entries) {
            total += e.byteSize(); // header() checked the sum fits
        }
        return total;
    }

    private static byte[] header(List<Entry> entries, Map<String, String> metadata, Map<String, TensorInfo> byName) {
        if (entries.size() > SafetensorsHeader.MAX_TENSORS) {
            throw new IllegalArgumentException(entries.size() + " tensors exceed the " + SafetensorsHeader.MAX_TENSORS
                    + " per file that readers accept; use more shards");
        }
        if (metadata != null) {
            if (metadata.size() > SafetensorsHeader.MAX_METADATA_ENTRIES) {
                throw new IllegalArgumentException("more than " + SafetensorsHeader.MAX_METADATA_ENTRIES + " metadata entries");
            }
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (Untrusted.hasLoneSurrogate(m.getKey()) || Untrusted.hasLoneSurrogate(m.getValue())) {
                    throw new IllegalArgumentException("metadata entry '" + Untrusted.show(m.getKey())
                            + "' holds an unpaired UTF-16 surrogate");
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Entry e : entries) {
                checkEntry(e);
                long end;
                try {
                    end = Math.addExact(offset, SafetensorsHeader.byteSize(e.shape(), e.dtype()));
                } catch (ArithmeticException x) {
                    throw new IllegalArgumentException("total tensor bytes overflow a long at tensor '" + Untrusted.show(e.name()) + "'");
                }
                TensorInfo info = new TensorInfo(e.name(), e.dtype(), e.shape(), offset, end);
                if (byName.put(e.name(), info) != null) {
                    throw new IllegalArgumentException("duplicate tensor name " + e.name());
                }
                g.writeObjectFieldStart(e.name());
                g.writeStringField("dtype", e.dtype().safetensorsName());
                g.writeArrayFieldStart("shape");
                for (long d : e.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(end);
                g.writeEndArray();
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] json = out.toByteArray();
        if (json.length > SafetensorsHeader.MAX_HEADER_BYTES - 8) {
            throw new IllegalArgumentException("header of " + json.length + " bytes exceeds the 100 MB readers accept");
        }
        int padded = (json.length + 7) & ~7;
        byte[] result = new byte[padded];
        System.arraycopy(json, 0, result, 0, json.length);
        java.util.Arrays.fill(result, json.length, padded, (byte) ' ');
        return result;
    }

    /** The reader's rules for one entry, checked before anything is written. */
    private static void checkEntry(Entry e) {
        if (e.name().equals("__metadata__")) {
            throw new IllegalArgumentException("a tensor cannot be named __metadata__ (readers take it for the metadata map)");
        }
        if (Untrusted.hasLoneSurrogate(e.name())) {
            throw new IllegalArgumentException("tensor name '" + Untrusted.show(e.name()) + "' holds an unpaired UTF-16 surrogate");
        }
        if (e.shape().length > SafetensorsHeader.MAX_RANK) {
            throw new IllegalArgumentException("tensor '" + Untrusted.show(e.name()) + "' has more than " + SafetensorsHeader.MAX_RANK + " dimensions");
        }
        try {
            SafetensorsHeader.byteSize(e.shape(), e.dtype());
        } catch (ArithmeticException x) {
            throw new IllegalArgumentException("shape of tensor '" + Untrusted.show(e.name()) + "' is negative or overflows: " + Arrays.toString(e.shape()));
        }
    }

    public Path path() {
        return path;
    }

    /** The file's SHA-256 (hex), digested while it was written; available after {@link #finish}. */
    public String sha256() {
        if (sha256 == null) {
            throw new IllegalStateException(path + " is not finished");
        }
        return sha256;
    }

    /** Where {@code name} sits in this file. */
    public TensorInfo info(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("tensor " + name + " is not part of " + path);
        }
        return t;
    }

    /**
     * Writes {@code bytes} (position to limit) at {@code byteOffset} within tensor {@code name}.
     * Safe to call concurrently for disjoint ranges.
     */
    public void write(String name, long byteOffset, ByteBuffer bytes) throws IOException {
        TensorInfo t = info(name);
        int n = bytes.remaining();
        // Written so it cannot overflow: byteOffset + n would wrap for byteOffset near Long.MAX_VALUE.
        if (byteOffset < 0 || byteOffset > t.byteSize() - n) {
            throw new IllegalArgumentException("write outside tensor " + name);
        }
        long at = dataStart + t.begin() + byteOffset;
        writeFully(channel, bytes, at);
        written.addAndGet(n);
        digest.written(at, at + n);
        EarlyWriteback w = writeback;
        if (w != null) {
            w.wrote(n);
        }
    }

    /**
     * Flush the file's pages to disk in the background as it is written ({@link EarlyWriteback}), for a
     * file that {@link #finish} will fsync: the final fsync then has little left to wait for.
     */
    public void writeBackEarly() {
        writeback = new EarlyWriteback(channel);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }

    /** Checks every tensor byte was written, optionally fsyncs, and closes the file. */
    public void finish(boolean fsync) throws IOException {
        try {
            if (written.get() != dataLength) {
                throw new IllegalStateException(path + ": wrote " + written.get() + " of " + dataLength + " tensor bytes");
            }
            sha256 = digest.finish(dataStart + dataLength);
            EarlyWriteback w = writeback;
            if (w != null) {
                w.finish();
            }
            if (fsync) {
                channel.force(true);
            }
        } finally {
            channel.close();
        }
    }

    @Override
    public void close() throws IOException {
        EarlyWriteback w = writeback;
        if (w != null) {
            try {
                w.finish();   // a flush in flight must not meet a closed channel
            } catch (IOException ignored) {
                // closing after a failure: the error that matters is already on its way
            }
        }
        channel.close();
    }
}
