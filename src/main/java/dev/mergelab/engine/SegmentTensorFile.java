package dev.mergelab.engine;

import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.WeightFile;
import dev.mergelab.tensor.Codecs;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One merged tensor, on the heap ({@link MemorySink.Tensor}) or mapped from a {@link SpillFile}, seen as a
 * {@link WeightFile}, so that a {@link VirtualChild}'s tensors are {@link dev.mergelab.model.TensorRef}s like
 * those of a model on disk: its bytes are the output dtype's encoding, exactly what the written file would
 * hold (verbatim).
 */
final class SegmentTensorFile implements WeightFile {

    private final Path path;
    private final TensorInfo info;
    private final MemorySegment bytes;

    /** {@code bytes} holds {@code t}'s encoding: its heap array, or a mapped copy of it. */
    SegmentTensorFile(Path path, MemorySink.Tensor t, MemorySegment bytes) {
        if (bytes.byteSize() != t.bytes().length) {
            throw new IllegalArgumentException(t.name() + ": " + bytes.byteSize() + " bytes for a " + t.bytes().length + "-byte tensor");
        }
        this.path = path;
        this.info = new TensorInfo(t.name(), t.dtype(), t.shape(), 0, t.bytes().length);
        this.bytes = bytes;
    }

    static SegmentTensorFile onHeap(Path path, MemorySink.Tensor t) {
        return new SegmentTensorFile(path, t, MemorySegment.ofArray(t.bytes()));
    }

    TensorInfo info() {
        return info;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<TensorInfo> tensors() {
        return List.of(info);
    }

    @Override
    public TensorInfo tensor(String name) {
        return info.name().equals(name) ? info : null;
    }

    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public long fileSize() {
        return bytes.byteSize();
    }

    @Override
    public MemorySegment bytes(TensorInfo t) {
        check(t);
        return bytes;
    }

    @Override
    public boolean isVerbatim(TensorInfo t) {
        check(t);
        return true;
    }

    @Override
    public void decodeRows(TensorInfo t, long firstRow, int rows, float[] dst, int dstOffset) {
        check(t);
        int count = WeightFile.checkRows(t, firstRow, rows, dst, dstOffset);
        Codecs.decode(t.dtype(), bytes, firstRow * t.rowLength(), dst, dstOffset, count);
    }

    /** Heap bytes cannot change underneath, nor can a spill file nobody else can open (it is unlinked). */
    @Override
    public void checkUnchanged(Throwable fault) {
    }

    @Override
    public void close() {
    }

    private void check(TensorInfo t) {
        if (!t.equals(info)) {
            throw new IllegalArgumentException(path + " holds only " + info.name() + ", not " + t.name());
        }
    }
}
