package dev.mergelab.method;

/**
 * Whether a parameter has one value per tensor or one value per input model per tensor (METHODS.md §1).
 * The method spec declares it; the recipe's parameter resolver filters on the matching tensor name.
 */
public enum Scope {
    /** One value per output tensor (METHODS.md "G"), filtered on the output tensor name. */
    GLOBAL,
    /**
     * One value per input model per output tensor (METHODS.md "M"), filtered on that model's input tensor
     * name; source parameters apply. Never required of the base.
     */
    PER_MODEL
}
