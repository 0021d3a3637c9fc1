package dev.mergelab.method;

/** How a merge method treats the recipe's {@code base_model}. */
public enum BaseRequirement {
    /** The method needs a base; without one it fails with "method X requires base_model". */
    REQUIRED,
    /** The method works with or without a base (nuslerp, multislerp subtract it and add it back). */
    OPTIONAL,
    /** A configured base is just another input and needs its own per-model parameters (linear, karcher). */
    NOT_SPECIAL,
    /** The method takes exactly one input and has no notion of a base (passthrough). */
    NONE
}
