package dev.mergelab.method;

import dev.mergelab.MergeLabException;
import dev.mergelab.method.kernel.PositionRandom;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One method call: the aligned inputs of one output weight plus its resolved parameters.
 *
 * @param tensorName the output tensor's name (messages, and the random streams' key)
 * @param isEmbed    embeddings / lm_head: inputs may differ in shape (METHODS.md §1 Shapes)
 * @param inputs     every input including the base, in recipe order
 * @param global     the resolved global parameters
 * @param seed       the recipe seed
 * @param warnings   where warnings go (never printed by the method layer)
 */
public record TensorMerge(String tensorName, boolean isEmbed, List<TensorInput> inputs, Params global,
                          long seed, Consumer<String> warnings) {

    public TensorMerge {
        inputs = List.copyOf(inputs);
        if (warnings == null) {
            warnings = w -> { };
        }
    }

    /** The base input, or null. */
    public TensorInput base() {
        for (TensorInput in : inputs) {
            if (in.isBase()) {
                return in;
            }
        }
        return null;
    }

    /** The index of the base in {@link #inputs}, or -1. */
    public int baseIndex() {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).isBase()) {
                return i;
            }
        }
        return -1;
    }

    /** Indices in {@link #inputs} of every input that is not the base, in recipe order. */
    public int[] otherIndices() {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).isBase()) {
                idx.add(i);
            }
        }
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The base input, or the error "method X requires base_model". */
    public TensorInput requireBase(String method) {
        TensorInput b = base();
        if (b == null) {
            throw MergeLabException.input(method + " requires base_model (tensor " + tensorName + ")",
                    "add 'base_model:' to the recipe");
        }
        return b;
    }

    /**
     * The random stream key of input {@code inputIndex} ({@link PositionRandom}): a function of (seed,
     * tensor name, index) only, and each draw a function of that key and the element's position, so the
     * output bytes never depend on chunking, thread count or scheduling.
     */
    public long randomKey(int inputIndex) {
        return PositionRandom.key(seed, tensorName, inputIndex);
    }

    public void warn(String message) {
        warnings.accept(message);
    }
}
