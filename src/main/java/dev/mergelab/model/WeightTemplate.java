package dev.mergelab.model;

import java.util.List;

/**
 * One weight of an architecture definition, as written in its JSON: a name that may contain
 * {@code ${layer_index}} and {@code ${expert_index}}, and what merges must know about it.
 *
 * @param name      tensor name or template
 * @param isEmbed   vocabulary-sized (embeddings and output heads): merges cut it to the common vocabulary
 * @param optional  checkpoints may lack it (tied heads, biases that only some configs enable, old buffers)
 * @param tiedNames tensors that stand in for this one when it is absent (a tied head reuses the embedding)
 * @param storedInOut a matrix stored [in, out] (GPT-2's Conv1D), not [out, in] like nn.Linear: LoRA
 *                    deltas B·A are added transposed (PEFT's fan_in_fan_out)
 */
public record WeightTemplate(String name, boolean isEmbed, boolean optional, List<String> tiedNames, boolean storedInOut) {

    public WeightTemplate {
        tiedNames = List.copyOf(tiedNames);
    }

    /** A weight stored the usual way ([out, in] for matrices). */
    public WeightTemplate(String name, boolean isEmbed, boolean optional, List<String> tiedNames) {
        this(name, isEmbed, optional, tiedNames, false);
    }

    /** The same weight with every name passed through {@code rename}. */
    WeightTemplate renamed(java.util.function.UnaryOperator<String> rename) {
        return new WeightTemplate(rename.apply(name), isEmbed, optional,
                tiedNames.stream().map(rename).toList(), storedInOut);
    }
}
