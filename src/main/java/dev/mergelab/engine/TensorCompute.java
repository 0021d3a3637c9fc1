package dev.mergelab.engine;

import java.util.function.Consumer;

/** Computes one output tensor from its decoded float32 inputs (in {@link TensorJob#inputs()} order). */
@FunctionalInterface
public interface TensorCompute {
    float[] compute(TensorJob job, float[][] inputs, Consumer<String> warnings);
}
