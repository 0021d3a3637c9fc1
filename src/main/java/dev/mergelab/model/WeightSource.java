package dev.mergelab.model;

/**
 * A model as the forward pass reads it: its config and its tensors by name. A {@link ModelSource} (files on
 * disk, {@code BASE+ADAPTER}) is one; a recipe's virtual child (merged in memory, tensor by tensor, in the engine
 * layer) is another, so the forward pass runs on either without knowing which.
 */
public interface WeightSource {

    /** How messages name the model. */
    String displayName();

    /** The model's config.json (for a merge: the config its output folder would get). */
    ModelConfig config();

    /** Tensor {@code name}, or null when the model has none; reading it may compute it (a merge). */
    TensorRef tensor(String name);
}
