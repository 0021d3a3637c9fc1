package dev.mergelab.model;

/** Where a weight sits in a model: before the repeated layers, in one of them, or after them. */
public enum Section {
    /** Embeddings and anything else applied before layer 0. */
    PRE,
    /** A weight of one numbered layer (and possibly one numbered expert within it). */
    LAYER,
    /** Final norm, output head and anything else applied after the last layer. */
    POST
}
