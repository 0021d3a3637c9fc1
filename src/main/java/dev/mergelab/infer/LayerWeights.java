package dev.mergelab.infer;

import dev.mergelab.model.TensorRef;

/**
 * One decoder layer's weights. Matrices stay {@link TensorRef}s over the mapped file (read by {@link MatMul});
 * norm weights and biases, a few KiB per layer, are decoded to float32 once. A null field is a part the
 * layer does not have (a bias, a q/k norm, a post-norm) or, for a fused model, the unfused matrices.
 */
public record LayerWeights(
        float[] attnNorm, float[] attnPostNorm, float[] mlpNorm, float[] mlpPostNorm,
        TensorRef q, TensorRef k, TensorRef v, TensorRef qkv, TensorRef o,
        float[] qBias, float[] kBias, float[] vBias, float[] oBias,
        float[] qNorm, float[] kNorm,
        TensorRef gate, TensorRef up, TensorRef down, TensorRef gateUp,
        float[] gateBias, float[] upBias, float[] downBias,
        TensorRef router, TensorRef[] expertGate, TensorRef[] expertUp, TensorRef[] expertDown,
        TensorRef sharedGate, TensorRef sharedUp, TensorRef sharedDown, TensorRef sharedExpertGate) {
}
