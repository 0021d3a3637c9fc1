package dev.mergelab.format;

import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.Codecs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file, the {@link WeightFile} every model is read from today. The header is
 * parsed and validated on open; tensor bytes are never copied: {@link #data} returns a zero-copy slice of
 * the mapping, valid until {@link #close()}. Files and tensors larger than 2 GiB work because the whole
 * file is one {@link MemorySegment}. Safetensors stores every tensor as plain row-major little-endian
 * elements, so any rows decode straight from the mapping and every tensor is {@linkplain #isVerbatim verbatim}.
 *
 * <p>Thread-safe for reads: the mapping lives in a shared arena so workers on every core can read it.
 *
 * <p>If another process truncates the file while it is mapped, touching the lost pages raises SIGBUS, which
 * Java reports as an {@link InternalError} from {@code MemorySegment.copy} (the codecs read mappings only that
 * way, because a SIGBUS in JIT-compiled code kills the JVM). Readers pass such a fault to
 * {@link #checkUnchanged(Throwable)}, which turns it into a one-line {@link MergeLabException} naming the file;
 * a merge also calls {@link #checkUnchanged(Throwable)} before publishing, so an input rewritten in place
 * (same size, new bytes) is refused rather than merged half old, half new.
 */
public final class SafetensorsFile implements WeightFile {

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final long dataStart;
    private final SafetensorsHeader header;
    private final Map<String, TensorInfo> byName;
    /** The file as it was when mapped, for {@link #checkUnchanged(Throwable)}. */
    private final BasicFileAttributes opened;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, long dataStart, SafetensorsHeader header,
            BasicFileAttributes opened) {
        this.path = path;
        this.opened = opened;
        this.arena = arena;
        this.mapping = mapping;
        this.dataStart = dataStart;
        this.header = header;
        this.byName = new HashMap<>(header.tensors().size() * 2);
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
    }

    /** Maps and validates {@code file}. Throws a one-line {@link MergeLabException} for anything malformed. */
    public static SafetensorsFile open(Path file) {
        String where = file.toString();
        // Before opening: a FIFO would block the open forever, a directory or device fails obscurely later.
        BasicFileAttributes attrs = Untrusted.regularFile(file, Untrusted.path(file), "point MergeLab at a .safetensors file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw SafetensorsHeader.bad(where, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = map.get(U64_LE, 0);
            if (headerLen < 0 || headerLen > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw SafetensorsHeader.bad(where, "header length " + Long.toUnsignedString(headerLen)
                        + " exceeds the 100 MB limit");
            }
            if (headerLen > size - 8) {
                throw SafetensorsHeader.bad(where, "header length " + headerLen + " runs past the end of the "
                        + size + "-byte file (truncated?)");
            }
            // Bounded by both the 100 MB cap and the real file size, so a lying length cannot make us allocate
            // (MalformedSafetensorsTest measures the allocation of every malformed case to keep it so).
            byte[] json = map.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            long dataStart = 8 + headerLen;
            SafetensorsHeader header = SafetensorsHeader.parse(json, size - dataStart, where);
            return new SafetensorsFile(file, arena, map, dataStart, header, attrs);
        } catch (NoSuchFileException e) {
            arena.close();
            throw MergeLabException.input(Untrusted.path(file) + ": no such file", "check the path");
        } catch (IOException e) {
            arena.close();
            throw MergeLabException.input(Untrusted.path(file) + ": cannot read: " + Untrusted.firstLine(e.getMessage()),
                    "check the file's permissions");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public Path path() {
        return path;
    }

    /**
     * Throws a one-line INPUT error naming the file if it is no longer the file that was mapped: another size
     * (truncated or grown), another modification time (rewritten in place) or another file (replaced).
     * {@code fault} is what reading the mapping threw, if anything (kept as the cause); when the file is
     * unchanged this returns normally and the caller rethrows its fault.
     */
    @Override
    public void checkUnchanged(Throwable fault) {
        MappedFiles.checkUnchanged(path, mapping.byteSize(), opened, fault);
    }

    /** The {@code __metadata__} map (empty if absent). */
    @Override
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** All tensors, in the order their bytes appear in the file. */
    @Override
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /** The tensor named {@code name}, or null. */
    @Override
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    /** Zero-copy view of the tensor's bytes. */
    public MemorySegment data(TensorInfo t) {
        return mapping.asSlice(dataStart + t.begin(), t.byteSize());
    }

    /** The same as {@link #data}: a safetensors tensor's bytes are its elements. */
    @Override
    public MemorySegment bytes(TensorInfo t) {
        return data(t);
    }

    @Override
    public boolean isVerbatim(TensorInfo t) {
        return true;
    }

    @Override
    public void decodeRows(TensorInfo t, long firstRow, int rows, float[] dst, int dstOffset) {
        int count = WeightFile.checkRows(t, firstRow, rows, dst, dstOffset);
        Codecs.decode(t.dtype(), data(t), firstRow * t.rowLength(), dst, dstOffset, count);
    }

    /** Byte offset of the data section in the file (for I/O accounting). */
    public long dataStart() {
        return dataStart;
    }

    @Override
    public long fileSize() {
        return mapping.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
