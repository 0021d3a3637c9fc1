package dev.mergelab.lora;

import dev.mergelab.model.TensorRef;

/**
 * One adapted module of an adapter: its factors and how they combine with the base weight.
 *
 * <p>Shapes follow PEFT. Linear: A is [r, in], B is [out, r] and ΔW = scale·B·A has the base weight's
 * [out, in] shape; with {@code fan_in_fan_out} the base stores [in, out] and ΔW is transposed. Embedding
 * ({@code lora_embedding_A/B}): A is [r, vocab], B is [hidden, r] and the base weight [vocab, hidden]
 * receives scale·(B·A)ᵀ.
 *
 * @param module     module name in the base model, e.g. {@code model.layers.0.self_attn.q_proj}
 * @param a          lora_A (or lora_embedding_A)
 * @param b          lora_B (or lora_embedding_B)
 * @param embedding  true for lora_embedding_A/B
 * @param rank       r for this module (rank_pattern or r)
 * @param alpha      alpha for this module (alpha_pattern or lora_alpha)
 * @param scale      alpha/r, or alpha/sqrt(r) with rsLoRA
 * @param transposed ΔW is added transposed to the stored weight (embedding, or fan_in_fan_out)
 */
public record LoraModule(String module, TensorRef a, TensorRef b, boolean embedding, int rank, double alpha, double scale,
                         boolean transposed) {

    /** The base tensor this module changes. */
    public String weightName() {
        return module + ".weight";
    }

    /** Rows of B·A (B's rows) and columns (A's columns): the un-transposed ΔW shape. */
    public long deltaRows() {
        return b.shape()[0];
    }

    public long deltaCols() {
        return a.shape()[1];
    }
}
