package dev.mergelab.infer;

import dev.mergelab.model.TensorRef;

/**
 * The one matrix product the forward pass needs: a stored weight {@code [out, in]} (any float dtype, read in
 * place from the mapped file) times a batch of float32 activations. Every projection of every layer goes
 * through here, so faster kernels replace this one implementation and nothing else.
 *
 * <p>Contract: {@code y[t * out + o] = sum_i x[t * in + i] * w[o, i]} for {@code t < tokens}; each output
 * element is a function of its row and its token alone (never of how the work was split), so results do
 * not depend on the thread count.
 */
public interface MatMul {

    void multiply(TensorRef weight, float[] x, int tokens, float[] y);
}
