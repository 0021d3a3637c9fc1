package dev.mergelab.engine;

import dev.mergelab.method.ChunkedMerge;
import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.TensorInput;
import dev.mergelab.method.TensorMerge;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs an element-wise method (its spec says {@code elementwise}: every output element depends only on
 * the inputs' elements at the same position) chunk by chunk through its ordinary whole-tensor
 * {@code merge}, each chunk presented as a tensor of {@code rows × rowLength}. The method layer's tests
 * prove chunked and whole results are byte-identical for these methods.
 */
final class ElementwiseChunks implements ChunkedMerge {

    private final MergeMethod method;
    private final TensorMerge header;
    private final int rowLength;

    ElementwiseChunks(MergeMethod method, TensorMerge header, long[] outShape) {
        this.method = method;
        this.header = header;
        this.rowLength = outShape.length == 0 ? 1 : Math.toIntExact(outShape[outShape.length - 1]);
    }

    @Override
    public int statisticPasses() {
        return 0;
    }

    @Override
    public void observe(int pass, long rowStart, int rows, float[][] inputs) {
        throw new IllegalStateException("element-wise merges have no statistics pass");
    }

    @Override
    public void combine(long rowStart, int rows, float[][] inputs, float[] out) {
        int n = rows * rowLength;
        long[] shape = {rows, rowLength};
        List<TensorInput> chunk = new ArrayList<>(inputs.length);
        for (int i = 0; i < inputs.length; i++) {
            TensorInput in = header.inputs().get(i);
            float[] data = inputs[i].length == n ? inputs[i] : Arrays.copyOf(inputs[i], n);
            chunk.add(new TensorInput(in.model(), data, shape, in.isBase(), in.params()));
        }
        float[] result = method.merge(new TensorMerge(header.tensorName(), false, chunk, header.global(), header.seed(),
                header.warnings()));
        System.arraycopy(result, 0, out, 0, n);
    }
}
