package dev.mergelab.recipe;

/** Whether a method parameter has one value per tensor or one per input model per tensor (METHODS.md §1). */
public enum Scope {
    /** One value per output tensor, filtered on the output tensor name. */
    GLOBAL,
    /** One value per input model, filtered on that model's input tensor name; source parameters apply. */
    PER_MODEL
}
