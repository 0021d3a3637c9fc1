package dev.mergelab.recipe;

import java.util.Objects;

/**
 * A model reference exactly as the recipe wrote it: a local path, a hub id {@code org/name}, optionally
 * {@code @revision}, optionally {@code BASE+ADAPTER} for a LoRA. Resolution to files happens in the model
 * layer; the recipe only keeps the text. Models are identified by {@link #raw()}: two refs with the same
 * text are the same model, wherever they appear.
 */
public record ModelRef(String raw, int line) {
    public ModelRef {
        Objects.requireNonNull(raw);
        if (raw.isBlank()) {
            throw new IllegalArgumentException("blank model reference");
        }
    }

    /** Same model as {@code other}, ignoring where each was written. */
    public boolean sameModel(ModelRef other) {
        return other != null && raw.equals(other.raw);
    }

    @Override
    public String toString() {
        return raw;
    }
}
