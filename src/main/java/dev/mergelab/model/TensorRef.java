package dev.mergelab.model;

import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * A lazily readable tensor of a model: where it lives and what it is. {@link #data()} is a zero-copy view
 * of the mmapped bytes; nothing is read until someone touches it (the OS page cache is our cache).
 *
 * <p>A ref may carry a {@link TensorPatch} (a base weight with a LoRA adapter applied on the fly): then
 * its value is the stored bytes decoded <em>and then patched</em>, so it must be read through
 * {@link #decodeInto} and never copied byte for byte ({@link #isPatched}).
 */
public record TensorRef(SafetensorsFile file, TensorInfo info, TensorPatch patch) {

    /** A plain stored tensor. */
    public TensorRef(SafetensorsFile file, TensorInfo info) {
        this(file, info, null);
    }

    /** True when the value is computed: the stored bytes are not the tensor's value. */
    public boolean isPatched() {
        return patch != null;
    }

    /** Decodes the whole tensor into {@code out} (length numel) and applies the patch if any. */
    public void decodeInto(float[] out) {
        dev.mergelab.tensor.Codecs.decode(dtype(), data(), 0, out, 0, out.length);
        if (patch != null) {
            patch.applyTo(out);
        }
    }

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
