package dev.mergelab.recipe;

/** A half-open range of layer indices {@code [start, end)} taken from one input model. */
public record LayerRange(int start, int end, int line) {
    public LayerRange {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("bad layer range [" + start + ", " + end + ")");
        }
    }

    /** Number of layers in the range. */
    public int count() {
        return end - start;
    }
}
