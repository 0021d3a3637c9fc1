package dev.mergelab.method;

/** The value type of a method parameter as recipes write it. */
public enum ParamType {
    /** A finite real number (booleans count as 0/1, as in mergekit's gradients). */
    NUMBER,
    /** A whole number. */
    INT,
    /** true/false (1/0 accepted). */
    BOOL,
    /** A word from a fixed set, e.g. {@code majority_sign_method}. */
    STRING
}
