package dev.mergelab.engine;

import dev.mergelab.method.ChunkedMerge;
import java.util.function.Consumer;

/** Computes one output tensor from its decoded float32 inputs (in {@link TensorJob#inputs()} order). */
public interface TensorCompute {

    float[] compute(TensorJob job, float[][] inputs, Consumer<String> warnings);

    /** The job's chunked form (bounded memory for large tensors), or null when only whole tensors work. */
    default ChunkedMerge chunked(TensorJob job, Consumer<String> warnings) {
        return null;
    }
}
