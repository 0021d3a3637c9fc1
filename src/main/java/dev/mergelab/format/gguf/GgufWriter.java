package dev.mergelab.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a GGUF v3 file the way gguf.cpp and gguf-py lay it out: header, metadata in the order given, tensor
 * infos, padding to the alignment, then each tensor's bytes padded to the alignment (the offsets in the
 * infos count from the start of the data section). {@code general.alignment} is honoured when present
 * (a u32 power of two) and otherwise 32. Tensors are streamed in the order declared; the file appears
 * under its name only when {@link #finish()} has written all of them (written to a temporary sibling, then
 * moved), so an interrupted export never leaves a truncated .gguf behind.
 */
public final class GgufWriter implements AutoCloseable {

    /** One tensor to write: name, ggml type and dimensions in ggml order ({@code ne[0]} = row length). */
    public record Entry(String name, GgmlType type, long[] ne) {

        public Entry {
            Objects.requireNonNull(name);
            Objects.requireNonNull(type);
            ne = ne.clone();
        }

        @Override
        public long[] ne() {
            return ne.clone();
        }

        /** Bytes of the tensor's data. */
        public long byteSize() {
            long n = 1;
            for (long d : ne) {
                n = Math.multiplyExact(n, d);
            }
            return type.rowBytes(n);
        }

        /** The entry for a row-major {@code shape} (outermost first), as safetensors and PyTorch give it. */
        public static Entry ofShape(String name, GgmlType type, long[] shape) {
            long[] ne = new long[shape.length];
            for (int i = 0; i < shape.length; i++) {
                ne[i] = shape[shape.length - 1 - i];
            }
            return new Entry(name, type, ne);
        }
    }

    private final Path target;
    private final Path temp;
    private final FileChannel ch;
    private final List<Entry> entries;
    private final int alignment;
    private int next;
    private long writtenOfCurrent;
    private boolean finished;

    private GgufWriter(Path target, Path temp, FileChannel ch, List<Entry> entries, int alignment) {
        this.target = target;
        this.temp = temp;
        this.ch = ch;
        this.entries = entries;
        this.alignment = alignment;
    }

    /**
     * Starts {@code target}: validates the entries (unique names shorter than 64 bytes, at most 4 dimensions,
     * rows a whole number of blocks) and writes the header. Then {@link #write} each tensor's bytes in order.
     */
    public static GgufWriter create(Path target, Map<String, GgufValue> metadata, List<Entry> tensors) throws IOException {
        int alignment = GgufHeader.DEFAULT_ALIGNMENT;
        GgufValue a = metadata.get("general.alignment");
        if (a != null) {
            if (a.type() != GgufValueType.UINT32 || a.asLong() == 0 || (a.asLong() & (a.asLong() - 1)) != 0 || a.asLong() > (1 << 30)) {
                throw new IllegalArgumentException("general.alignment must be a u32 power of two, not " + a);
            }
            alignment = (int) a.asLong();
        }
        Set<String> names = new HashSet<>();
        for (Entry e : tensors) {
            if (!names.add(e.name())) {
                throw new IllegalArgumentException("duplicate tensor " + e.name());
            }
            if (e.name().getBytes(StandardCharsets.UTF_8).length >= GgufHeader.MAX_NAME) {
                throw new IllegalArgumentException("tensor name longer than " + (GgufHeader.MAX_NAME - 1) + " bytes: " + e.name());
            }
            if (e.ne.length > GgufHeader.MAX_DIMS) {
                throw new IllegalArgumentException(e.name() + " has more than " + GgufHeader.MAX_DIMS + " dimensions");
            }
            long row = e.ne.length == 0 ? 1 : e.ne[0];
            if (row % e.type().blockSize != 0) {
                throw new IllegalArgumentException(e.name() + ": rows of " + row + " are not whole " + e.type() + " blocks");
            }
        }
        Out h = new Out();
        h.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        h.u32(3);
        h.u64(tensors.size());
        h.u64(metadata.size());
        for (Map.Entry<String, GgufValue> kv : metadata.entrySet()) {
            h.string(kv.getKey());
            h.u32(kv.getValue().type().id);
            h.value(kv.getValue());
        }
        long offset = 0;
        for (Entry e : tensors) {
            h.string(e.name());
            h.u32(e.ne.length);
            for (long d : e.ne) {
                h.u64(d);
            }
            h.u32(e.type().id);
            h.u64(offset);
            offset += GgufHeader.pad(e.byteSize(), alignment);
        }
        if (!tensors.isEmpty()) {
            h.zeros((int) (GgufHeader.pad(h.size(), alignment) - h.size()));
        }
        Path temp = target.resolveSibling(target.getFileName() + ".partial");
        FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        try {
            writeFully(ch, ByteBuffer.wrap(h.toByteArray()));
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(temp);
            throw e;
        }
        return new GgufWriter(target, temp, ch, new ArrayList<>(tensors), alignment);
    }

    /** The entry whose bytes {@link #write} expects next, or null when all are written. */
    public Entry current() {
        return next < entries.size() ? entries.get(next) : null;
    }

    /**
     * Appends bytes of the current tensor (any number of calls, in order); when its size is reached the
     * padding follows and the next tensor begins.
     */
    public void write(ByteBuffer bytes) throws IOException {
        Entry e = current();
        if (e == null) {
            throw new IllegalStateException("all tensors are written");
        }
        if (bytes.remaining() > e.byteSize() - writtenOfCurrent) {
            throw new IllegalArgumentException(e.name() + ": " + bytes.remaining() + " bytes more than its remaining "
                    + (e.byteSize() - writtenOfCurrent));
        }
        writtenOfCurrent += bytes.remaining();
        writeFully(ch, bytes);
        if (writtenOfCurrent == e.byteSize()) {
            long pad = GgufHeader.pad(e.byteSize(), alignment) - e.byteSize();
            writeFully(ch, ByteBuffer.allocate((int) pad));
            next++;
            writtenOfCurrent = 0;
        }
    }

    /** Writes the whole current tensor from {@code bytes}. */
    public void write(byte[] bytes) throws IOException {
        write(ByteBuffer.wrap(bytes));
    }

    /** Flushes to disk and moves the file to its name; every tensor must have been written. */
    public void finish() throws IOException {
        if (current() != null) {
            throw new IllegalStateException("tensor " + current().name() + " was not written");
        }
        ch.force(true);
        ch.close();
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        finished = true;
    }

    /** Abandons an unfinished file (deletes the temporary); a no-op after {@link #finish()}. */
    @Override
    public void close() throws IOException {
        if (!finished) {
            ch.close();
            Files.deleteIfExists(temp);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Small files at once (tests, fixtures): metadata, the entries, and each entry's bytes in the same order. */
    public static void write(Path target, Map<String, GgufValue> metadata, List<Entry> tensors, List<byte[]> data) throws IOException {
        if (tensors.size() != data.size()) {
            throw new IllegalArgumentException(tensors.size() + " tensors but " + data.size() + " byte arrays");
        }
        try (GgufWriter w = create(target, metadata, tensors)) {
            for (byte[] b : data) {
                w.write(b);
            }
            w.finish();
        }
    }

    /** A little-endian byte sink for the header. */
    private static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        int size() {
            return b.size();
        }

        byte[] toByteArray() {
            return b.toByteArray();
        }

        void bytes(byte[] x) {
            b.writeBytes(x);
        }

        void zeros(int n) {
            b.writeBytes(new byte[n]);
        }

        private void le(long v, int n) {
            scratch.clear();
            scratch.putLong(v);
            b.write(scratch.array(), 0, n);
        }

        void u32(long v) {
            le(v, 4);
        }

        void u64(long v) {
            le(v, 8);
        }

        void string(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            u64(u.length);
            bytes(u);
        }

        void value(GgufValue v) {
            switch (v.type()) {
                case ARRAY -> array(v.asArray());
                case STRING -> string(v.asString());
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v.value()));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v.value()));
                case BOOL -> le((Boolean) v.value() ? 1 : 0, 1);
                default -> integer(v.type(), v.asLong());
            }
        }

        private void integer(GgufValueType t, long v) {
            le(v, t.minBytes);
        }

        private void array(GgufArray a) {
            u32(a.elementType().id);
            u64(a.size());
            Object items = a.items();
            switch (a.elementType()) {
                case FLOAT32 -> {
                    for (float f : (float[]) items) {
                        u32(Float.floatToRawIntBits(f));
                    }
                }
                case FLOAT64 -> {
                    for (double d : (double[]) items) {
                        u64(Double.doubleToRawLongBits(d));
                    }
                }
                case BOOL -> {
                    for (boolean x : (boolean[]) items) {
                        le(x ? 1 : 0, 1);
                    }
                }
                case STRING -> {
                    for (String s : (String[]) items) {
                        string(s);
                    }
                }
                case ARRAY -> {
                    for (GgufArray inner : (GgufArray[]) items) {
                        array(inner);
                    }
                }
                default -> {
                    for (long x : (long[]) items) {
                        integer(a.elementType(), x);
                    }
                }
            }
        }
    }
}
