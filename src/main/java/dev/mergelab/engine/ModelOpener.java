package dev.mergelab.engine;

import dev.mergelab.model.ModelSource;

/** Turns a recipe's model reference (path, hub id, {@code id@revision}) into an opened model. */
@FunctionalInterface
public interface ModelOpener {
    ModelSource open(String ref);
}
