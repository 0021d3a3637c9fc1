package dev.mergelab.method;

/** Whether a parameter has one value per tensor or one value per input model per tensor. */
public enum Scope {
    /** One value per output tensor (METHODS.md "G"). */
    GLOBAL,
    /** One value per input model per output tensor (METHODS.md "M"); never required of the base. */
    PER_MODEL
}
