package dev.mergelab.lab.registry;

/**
 * The relation of a lineage edge, in the Hugging Face Hub's words ({@code base_model_relation}): what the child is
 * with respect to that parent.
 */
public final class Relation {

    /** The child merged this parent's weights with others (merge, lora merge's adapters). */
    public static final String MERGE = "merge";
    /** The child is an adapter of this base, or this parent is an adapter applied to make the child. */
    public static final String ADAPTER = "adapter";
    /** The child is this parent fine-tuned (lora apply's output of its base; an extracted adapter of its fine-tune). */
    public static final String FINETUNE = "finetune";
    /** The child is this parent in fewer bits (export). */
    public static final String QUANTIZED = "quantized";

    private Relation() {
    }
}
