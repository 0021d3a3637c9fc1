package dev.mergelab.recipe;

import dev.mergelab.tensor.DType;
import java.util.Objects;

/** A {@code dtype:} or {@code out_dtype:} setting: the parsed type plus the name as written. */
public record DTypeSetting(DType dtype, String written, int line) {
    public DTypeSetting {
        Objects.requireNonNull(dtype);
        Objects.requireNonNull(written);
    }
}
