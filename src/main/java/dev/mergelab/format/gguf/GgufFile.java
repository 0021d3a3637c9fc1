package dev.mergelab.format.gguf;

import dev.mergelab.format.MappedFiles;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.Untrusted;
import dev.mergelab.format.WeightFile;
import dev.mergelab.tensor.Codecs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A memory-mapped GGUF file (llama.cpp's format) as a {@link WeightFile}. The header is parsed and validated
 * on open ({@link GgufHeader}); tensor bytes stay in the mapping. Tensors are presented as safetensors
 * presents them: row-major shapes (GGUF lists dimensions innermost first), and rows that decode to float32:
 * plain F32/F16/BF16/F64/integer tensors are {@linkplain #isVerbatim verbatim}, block-quantized ones decode
 * exactly as ggml's dequantize_row_* do ({@link GgmlCodec}). Names are GGUF's own ({@code blk.0.attn_q.weight});
 * turning them and llama.cpp's Q/K row permutation back into a Transformers layout is the model layer's job.
 *
 * <p>Thread-safe for reads (a shared arena); the mapping is read only through {@code MemorySegment.copy} and
 * the codecs, so a file truncated underneath surfaces as a one-line error ({@link #checkUnchanged}).
 */
public final class GgufFile implements WeightFile {

    /** Bytes of quantized rows copied out of the mapping at a time before decoding. */
    private static final int STAGE_BYTES = 1 << 18;
    /** One staging buffer per worker thread: decoding is called per few rows, from every core. */
    private static final ThreadLocal<byte[]> STAGE = ThreadLocal.withInitial(() -> new byte[STAGE_BYTES]);

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final GgufHeader header;
    private final List<TensorInfo> infos;
    private final Map<String, TensorInfo> byName;
    private final Map<String, GgufTensor> ggufByName;
    private final BasicFileAttributes opened;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufHeader header, BasicFileAttributes opened) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.header = header;
        this.opened = opened;
        List<TensorInfo> list = new ArrayList<>(header.tensors().size());
        this.byName = new HashMap<>(header.tensors().size() * 2);
        this.ggufByName = new HashMap<>(header.tensors().size() * 2);
        for (GgufTensor t : header.tensors()) {
            TensorInfo info = t.info();
            list.add(info);
            byName.put(t.name(), info);
            ggufByName.put(t.name(), t);
        }
        this.infos = Collections.unmodifiableList(list);
    }

    /** Maps and validates {@code file}; a one-line INPUT error naming it for anything malformed. */
    public static GgufFile open(Path file) {
        String where = Untrusted.path(file);
        BasicFileAttributes attrs = Untrusted.regularFile(file, where, "point MergeLab at a .gguf file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            GgufHeader header = GgufHeader.parse(map, where);
            return new GgufFile(file, arena, map, header, attrs);
        } catch (NoSuchFileException e) {
            arena.close();
            throw MergeLabException.input(where + ": no such file", "check the path");
        } catch (IOException e) {
            arena.close();
            throw MergeLabException.input(where + ": cannot read: " + Untrusted.firstLine(e.getMessage()), "check the file's permissions");
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** True when {@code file} is a regular file named *.gguf or starting with the GGUF magic. */
    public static boolean isGguf(Path file) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            return true;
        }
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(file)) {
            return in.readNBytes(head, 0, 4) == 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    /** Version, metadata, tensor infos (ggml order and types), alignment and data offset. */
    public GgufHeader header() {
        return header;
    }

    /** The GGUF tensor info named {@code name} (ggml type and dimensions), or null. */
    public GgufTensor ggufTensor(String name) {
        return ggufByName.get(name);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<TensorInfo> tensors() {
        return infos;
    }

    @Override
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    /** The metadata as text: scalars as values, arrays as their type, length and first items (see {@link #header} for values). */
    @Override
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        header.metadata().forEach((k, v) -> m.put(k, v.show(8)));
        return Collections.unmodifiableMap(m);
    }

    @Override
    public long fileSize() {
        return mapping.byteSize();
    }

    @Override
    public MemorySegment bytes(TensorInfo t) {
        return mapping.asSlice(header.dataOffset() + t.begin(), t.byteSize());
    }

    @Override
    public boolean isVerbatim(TensorInfo t) {
        return GgufTensor.verbatim(gguf(t).type());
    }

    @Override
    public void decodeRows(TensorInfo t, long firstRow, int rows, float[] dst, int dstOffset) {
        int count = WeightFile.checkRows(t, firstRow, rows, dst, dstOffset);
        GgufTensor g = gguf(t);
        GgmlType type = g.type();
        try {
            switch (type) {
                case F32, F64, I8, I16, I32, I64 -> Codecs.decode(t.dtype(), bytes(t), firstRow * t.rowLength(), dst, dstOffset, count);
                default -> decodeBlocks(t, g, firstRow, rows, dst, dstOffset);
            }
        } catch (InternalError fault) {
            checkUnchanged(fault); // SIGBUS: the file was truncated underneath
            throw fault;
        }
    }

    private void decodeBlocks(TensorInfo t, GgufTensor g, long firstRow, int rows, float[] dst, int dstOffset) {
        GgmlType type = g.type();
        if (!type.decodable()) {
            throw MergeLabException.input(Untrusted.path(path) + ": tensor '" + Untrusted.show(t.name()) + "' is " + type
                    + ", a ggml type MergeLab cannot decode yet", "requantize it to Q8_0, Q4_K, Q6_K or F16 with llama-quantize");
        }
        long rowLen = t.rowLength();
        long rowBytes = type.rowBytes(rowLen);
        if (rowLen == 0 || rows == 0) {
            return;
        }
        if (rowBytes > STAGE_BYTES) {
            // one row at a time, a whole number of blocks per copy
            int blocksPerCopy = STAGE_BYTES / type.typeSize;
            byte[] stage = STAGE.get();
            for (int r = 0; r < rows; r++) {
                long src = header.dataOffset() + t.begin() + (firstRow + r) * rowBytes;
                long done = 0;
                while (done < rowLen) {
                    int n = (int) Math.min((long) blocksPerCopy * type.blockSize, rowLen - done);
                    int bytes = (int) type.rowBytes(n);
                    MemorySegment.copy(mapping, ValueLayout.JAVA_BYTE, src + type.rowBytes(done), stage, 0, bytes);
                    GgmlCodec.decode(type, stage, 0, dst, (int) (dstOffset + r * rowLen + done), n);
                    done += n;
                }
            }
            return;
        }
        int rowsPerCopy = (int) Math.max(1, STAGE_BYTES / rowBytes);
        byte[] stage = STAGE.get();
        for (int r = 0; r < rows; r += rowsPerCopy) {
            int n = Math.min(rowsPerCopy, rows - r);
            long src = header.dataOffset() + t.begin() + (firstRow + r) * rowBytes;
            MemorySegment.copy(mapping, ValueLayout.JAVA_BYTE, src, stage, 0, (int) (n * rowBytes));
            GgmlCodec.decode(type, stage, 0, dst, (int) (dstOffset + r * rowLen), (int) (n * rowLen));
        }
    }

    private GgufTensor gguf(TensorInfo t) {
        GgufTensor g = ggufByName.get(t.name());
        if (g == null || !Objects.equals(byName.get(t.name()), t)) {
            throw new IllegalArgumentException("tensor " + t.name() + " is not from " + path);
        }
        return g;
    }

    @Override
    public void checkUnchanged(Throwable fault) {
        MappedFiles.checkUnchanged(path, mapping.byteSize(), opened, fault);
    }

    @Override
    public void close() {
        arena.close();
    }
}
