package dev.mergelab.model;

import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * A lazily readable tensor of a model: where it lives and what it is. {@link #data()} is a zero-copy view
 * of the mmapped bytes; nothing is read until someone touches it (the OS page cache is our cache).
 */
public record TensorRef(SafetensorsFile file, TensorInfo info) {

    public String name() {
        return info.name();
    }

    public DType dtype() {
        return info.dtype();
    }

    public long[] shape() {
        return info.shape();
    }

    public long numel() {
        return info.numel();
    }

    public long byteSize() {
        return info.byteSize();
    }

    public MemorySegment data() {
        return file.data(info);
    }
}
