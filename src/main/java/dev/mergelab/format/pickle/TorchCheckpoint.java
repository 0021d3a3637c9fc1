package dev.mergelab.format.pickle;

import dev.mergelab.format.MappedFiles;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.Untrusted;
import dev.mergelab.format.WeightFile;
import dev.mergelab.format.pickle.PyValues.PyDict;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A PyTorch {@code .bin}/{@code .pt} checkpoint (a state dict saved by torch.save, zip or legacy container), read
 * without ever unpickling it in Python's sense: {@link PickleMachine} interprets the pickle into inert records,
 * refusing anything torch's {@code weights_only} loader would refuse, and the tensors become strided views of
 * the storages, which stay in the file, mapped.
 *
 * <p>A tensor's {@link TensorInfo} has the span {@code [begin, end)} of file bytes from its first to its last
 * addressed element ({@link #bytes}); it is {@linkplain #isVerbatim verbatim} when its strides are row-major
 * (then the span is exactly its elements), which is what {@code model.state_dict()} saves. Other views (a
 * transpose, a slice, a broadcast) decode row by row, and a row whose last stride is not 1 element by element.
 * Tensors sharing a storage (tied embeddings) share its bytes. All dtypes of {@link DType} but FP8 are read; the
 * merge path decodes every one of them to float32 as it does for safetensors.
 */
public final class TorchCheckpoint implements WeightFile {

    /** One tensor: its info, its view and the mapped bytes of the storage slice the view indexes. */
    private record Entry(TensorInfo info, TensorView view, MemorySegment storage, boolean rowMajor) {
    }

    private static final int STAGE_BYTES = 1 << 16;
    /** Per thread: gathered rows waiting to be decoded, and one stored run of a transposed matrix. */
    private static final ThreadLocal<MemorySegment> STAGE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STAGE_BYTES, 64));
    private static final ThreadLocal<MemorySegment> COLUMN = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STAGE_BYTES, 64));

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final BasicFileAttributes opened;
    private final List<TensorInfo> tensors;
    private final Map<String, Entry> byName;
    private final String container;

    private TorchCheckpoint(Path path, Arena arena, MemorySegment mapping, BasicFileAttributes opened, List<Entry> entries,
            String container) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.opened = opened;
        this.container = container;
        List<TensorInfo> infos = new ArrayList<>(entries.size());
        this.byName = new HashMap<>(entries.size() * 2);
        for (Entry e : entries) {
            infos.add(e.info);
            byName.put(e.info.name(), e);
        }
        this.tensors = Collections.unmodifiableList(infos);
    }

    /** Maps and reads {@code file}; a one-line INPUT error naming the file for anything refused or malformed. */
    public static TorchCheckpoint open(Path file) {
        String where = Untrusted.path(file);
        BasicFileAttributes attrs = Untrusted.regularFile(file, where, "point MergeLab at a pytorch_model.bin file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 4) {
                throw Storages.refuse(where, "file is " + size + " bytes, too short for a torch checkpoint");
            }
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            int b0 = map.get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
            int b1 = map.get(ValueLayout.JAVA_BYTE, 1) & 0xFF;
            Layout layout;
            if (b0 == 'P' && b1 == 'K') {
                layout = ZipLayout.read(map, where);
            } else if (b0 == 0x80) {
                layout = LegacyLayout.read(map, where);
            } else {
                throw Storages.refuse(where, "neither a torch.save zip nor a legacy torch pickle");
            }
            return new TorchCheckpoint(file, arena, map, attrs, entries(layout, map, where), layout.container());
        } catch (NoSuchFileException e) {
            arena.close();
            throw MergeLabException.input(where + ": no such file", "check the path");
        } catch (IOException e) {
            arena.close();
            throw MergeLabException.input(where + ": cannot read: " + Untrusted.firstLine(e.getMessage()), "check the file's permissions");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The state dict's tensors, in its order: string keys, tensor values, nothing else. */
    private static List<Entry> entries(Layout layout, MemorySegment map, String where) {
        PyDict root = layout.root();
        List<Entry> out = new ArrayList<>(root.size());
        for (Map.Entry<Object, Object> e : root.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw Storages.refuse(where, "the state dict has a key of type " + PyValues.typeName(e.getKey()) + "; tensor names are strings");
            }
            if (!(e.getValue() instanceof TensorView v)) {
                throw Storages.refuse(where, "entry '" + Untrusted.show(name) + "' is a " + PyValues.typeName(e.getValue())
                        + ", not a tensor (MergeLab reads flat state dicts such as pytorch_model.bin)");
            }
            StorageSlice s = v.storage();
            DType dt = s.dtype();
            long storageAt = layout.storageStart().get(s.key()) + s.offset() * dt.size();
            MemorySegment storage = map.asSlice(storageAt, s.numel() * dt.size());
            long numel = 1;
            long last = v.offset();
            for (int k = 0; k < v.size().length; k++) {
                numel *= v.size()[k]; // checked not to overflow by Rebuild
                last += (v.size()[k] - 1) * v.stride()[k];
            }
            long begin = storageAt + v.offset() * dt.size();
            long end = numel == 0 ? begin : storageAt + (last + 1) * dt.size();
            out.add(new Entry(new TensorInfo(name, dt, v.size(), begin, end), v, storage, rowMajor(v.size(), v.stride())));
        }
        return out;
    }

    /** True when the strides are those of a contiguous row-major tensor (dimensions of size 1 may have any stride). */
    static boolean rowMajor(long[] size, long[] stride) {
        long expected = 1;
        for (int k = size.length - 1; k >= 0; k--) {
            if (size[k] != 1 && stride[k] != expected) {
                return false;
            }
            expected *= size[k];
        }
        return true;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public TensorInfo tensor(String name) {
        Entry e = byName.get(name);
        return e == null ? null : e.info;
    }

    /** How the file was stored: "zip" or "legacy". */
    public String container() {
        return container;
    }

    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public long fileSize() {
        return mapping.byteSize();
    }

    @Override
    public MemorySegment bytes(TensorInfo t) {
        return mapping.asSlice(t.begin(), t.byteSize());
    }

    @Override
    public boolean isVerbatim(TensorInfo t) {
        return entry(t).rowMajor;
    }

    @Override
    public void decodeRows(TensorInfo t, long firstRow, int rows, float[] dst, int dstOffset) {
        int count = WeightFile.checkRows(t, firstRow, rows, dst, dstOffset);
        Entry e = entry(t);
        if (e.rowMajor) {
            Codecs.decode(t.dtype(), bytes(t), firstRow * t.rowLength(), dst, dstOffset, count);
            return;
        }
        int size = t.dtype().size();
        int rowLength = (int) t.rowLength();
        long rowBytes = (long) rowLength * size;
        MemorySegment stage = STAGE.get();
        if (rowBytes <= STAGE_BYTES) {
            // Whole rows at a time: gathered into the stage as stored elements, then decoded from there.
            int perStage = (int) (STAGE_BYTES / rowBytes);
            for (int done = 0; done < rows; ) {
                int n = Math.min(perStage, rows - done);
                gatherRows(e, t, firstRow + done, n, stage, 0);
                Codecs.decode(t.dtype(), stage.asSlice(0, n * rowBytes), 0, dst, dstOffset + done * rowLength, n * rowLength);
                done += n;
            }
            return;
        }
        // A row longer than the stage: in pieces, each a run of elements lastStride apart.
        long lastStride = e.view.stride()[t.rank() - 1];
        RowCursor rowsAt = new RowCursor(e.view, firstRow);
        int perStage = STAGE_BYTES / size;
        for (int r = 0; r < rows; r++, rowsAt.advance()) {
            long first = rowsAt.element();
            int at = dstOffset + r * rowLength;
            for (int done = 0; done < rowLength; ) {
                int n = Math.min(perStage, rowLength - done);
                gather(e.storage, first + done * lastStride, lastStride, n, size, stage, 0);
                Codecs.decode(t.dtype(), stage.asSlice(0, (long) n * size), 0, dst, at + done, n);
                done += n;
            }
        }
    }

    /**
     * Copies rows {@code [firstRow, firstRow + rows)} of {@code t} as stored (its dtype's little-endian bytes, no
     * conversion) into {@code dst} from byte {@code dstOffset}, row-major and contiguous: what a safetensors file
     * holds. For {@code convert}, which must keep F64 and integer tensors exact.
     */
    public void copyRows(TensorInfo t, long firstRow, int rows, MemorySegment dst, long dstOffset) {
        Objects.checkFromIndexSize(firstRow, rows, t.rows());
        Objects.checkFromIndexSize(dstOffset, rows * t.rowLength() * t.dtype().size(), dst.byteSize());
        gatherRows(entry(t), t, firstRow, rows, dst, dstOffset);
    }

    /** Rows of {@code t} as stored elements, row-major, into {@code dst} from byte {@code dstAt}. */
    private void gatherRows(Entry e, TensorInfo t, long firstRow, int rows, MemorySegment dst, long dstAt) {
        int size = t.dtype().size();
        long rowBytes = t.rowLength() * size;
        if (e.rowMajor) {
            MemorySegment.copy(bytes(t), firstRow * rowBytes, dst, dstAt, rows * rowBytes);
            return;
        }
        long[] stride = e.view.stride();
        if (t.rank() == 2 && stride[0] == 1 && t.rowLength() > 1) {
            transposed(e, t, firstRow, rows, dst, dstAt);
            return;
        }
        long lastStride = t.rank() == 0 ? 1 : stride[t.rank() - 1];
        RowCursor rowsAt = new RowCursor(e.view, firstRow);
        for (int r = 0; r < rows; r++, rowsAt.advance()) {
            gather(e.storage, rowsAt.element(), lastStride, t.rowLength(), size, dst, dstAt + r * rowBytes);
        }
    }

    /**
     * A transposed matrix (strides (1, s)): the rows wanted are, in storage, a run of {@code rows} adjacent elements
     * in each of its rowLength stored rows. Each run is copied out of the mapping in one piece and its elements
     * scattered from there, instead of one copy per element.
     */
    private static void transposed(Entry e, TensorInfo t, long firstRow, int rows, MemorySegment dst, long dstAt) {
        int size = t.dtype().size();
        long rowLength = t.rowLength();
        long stride = e.view.stride()[1];
        MemorySegment column = COLUMN.get();
        int perColumn = STAGE_BYTES / size;
        for (int done = 0; done < rows; ) {
            int n = Math.min(perColumn, rows - done);
            long first = e.view.offset() + firstRow + done;
            for (long j = 0; j < rowLength; j++) {
                MemorySegment.copy(e.storage, (first + j * stride) * size, column, 0, (long) n * size);
                long to = dstAt + ((long) done * rowLength + j) * size;
                for (int i = 0; i < n; i++, to += rowLength * size) {
                    switch (size) { // the column is native memory, not the mapping: plain loads are safe here
                        case 1 -> dst.set(ValueLayout.JAVA_BYTE, to, column.get(ValueLayout.JAVA_BYTE, i));
                        case 2 -> dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, to, column.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
                        case 4 -> dst.set(ValueLayout.JAVA_INT_UNALIGNED, to, column.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i));
                        default -> dst.set(ValueLayout.JAVA_LONG_UNALIGNED, to, column.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i));
                    }
                }
            }
            done += n;
        }
    }

    /** Copies {@code n} elements of {@code size} bytes, {@code stride} elements apart from element {@code first}. */
    private static void gather(MemorySegment src, long first, long stride, long n, int size, MemorySegment dst, long dstAt) {
        if (stride == 1 || n <= 1) {
            MemorySegment.copy(src, first * size, dst, dstAt, n * size);
            return;
        }
        for (long j = 0; j < n; j++) {
            MemorySegment.copy(src, (first + j * stride) * size, dst, dstAt + j * size, size);
        }
    }

    /** Walks the rows of a view: the storage element where each row starts, in row-major order. */
    private static final class RowCursor {
        private final long[] size;
        private final long[] stride;
        private final long[] index;
        private long element;

        RowCursor(TensorView v, long firstRow) {
            int outer = Math.max(0, v.size().length - 1);
            this.size = v.size();
            this.stride = v.stride();
            this.index = new long[outer];
            long rest = firstRow;
            element = v.offset();
            for (int k = outer - 1; k >= 0; k--) {
                index[k] = rest % size[k];
                rest /= size[k];
                element += index[k] * stride[k];
            }
        }

        long element() {
            return element;
        }

        void advance() {
            for (int k = index.length - 1; k >= 0; k--) {
                index[k]++;
                element += stride[k];
                if (index[k] < size[k]) {
                    return;
                }
                element -= index[k] * stride[k];
                index[k] = 0;
            }
        }
    }

    private Entry entry(TensorInfo t) {
        Entry e = byName.get(t.name());
        if (e == null || !e.info.equals(t)) {
            throw new IllegalArgumentException("tensor " + t.name() + " is not from " + path);
        }
        return e;
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
