package dev.mergelab.engine;

import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Merged tensors kept on the heap in their output dtype, byte for byte what a folder would hold, so
 * merges can be scored without writing (search, the demo) and compared exactly with written outputs.
 * Each tensor's array is allocated up front from its job, so concurrent writes of disjoint ranges need
 * no locking.
 */
public final class MemorySink implements TensorSink {

    /** One stored tensor: dtype, shape and the encoded bytes. */
    public record Tensor(String name, DType dtype, long[] shape, byte[] bytes) {

        public long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** Elements per row: the last dimension (a 1-D tensor is one row, a scalar one element). */
        public int rowLength() {
            return shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        }

        /** Decodes rows {@code [row, row + rows)} to float32 into {@code dst[0 .. rows·rowLength)}. */
        public void rows(long row, int rows, float[] dst) {
            int len = rowLength();
            Codecs.decode(dtype, MemorySegment.ofArray(bytes), row * len, dst, 0, rows * len);
        }

        /** The whole tensor as float32. */
        public float[] floats() {
            float[] v = new float[Math.toIntExact(numel())];
            Codecs.decode(dtype, MemorySegment.ofArray(bytes), 0, v, 0, v.length);
            return v;
        }
    }

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** A sink for the jobs of {@code plan}, in output order. */
    public MemorySink(MergePlan plan) {
        for (TensorJob j : plan.jobs()) {
            add(j);
        }
    }

    private MemorySink() {
    }

    /** A sink for one job (the lazy child merges tensor by tensor). */
    static MemorySink of(TensorJob job) {
        MemorySink s = new MemorySink();
        s.add(job);
        return s;
    }

    private void add(TensorJob j) {
        long bytes = j.outBytes();
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(j.outputName() + " is " + bytes + " bytes, more than one Java array holds");
        }
        tensors.put(j.outputName(), new Tensor(j.outputName(), j.outDtype(), j.outShape(), new byte[(int) bytes]));
    }

    @Override
    public void write(String tensor, long byteOffset, ByteBuffer bytes) {
        Tensor t = tensors.get(tensor);
        if (t == null) {
            throw new IllegalArgumentException("tensor " + tensor + " was not planned");
        }
        bytes.get(t.bytes(), Math.toIntExact(byteOffset), bytes.remaining());
    }

    /** The tensor called {@code name}, or null. */
    public Tensor tensor(String name) {
        return tensors.get(name);
    }

    /** Every tensor, in output order. */
    public Map<String, Tensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** Heap held by the tensors' bytes. */
    public long bytes() {
        long b = 0;
        for (Tensor t : tensors.values()) {
            b += t.bytes().length;
        }
        return b;
    }
}
