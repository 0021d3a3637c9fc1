package dev.mergelab.recipe;

/**
 * The layer position t that gradients are evaluated at (METHODS.md §5): within an output slice of n
 * layers, layer idx has t = idx/(n−1), and t = 1 when the slice has one layer. Weights outside the layers
 * use t = 0: pre-weights (embeddings) with the first slice, post-weights (final norm, lm_head) with the
 * last.
 */
public final class LayerPosition {
    /** t for pre-weights and post-weights. */
    public static final double NON_LAYER_T = 0.0;

    private LayerPosition() {}

    /** t of layer {@code idx} (0-based, within the slice) in an output slice of {@code n} layers. */
    public static double t(int idx, int n) {
        if (n < 1 || idx < 0 || idx >= n) {
            throw new IllegalArgumentException("layer " + idx + " outside a slice of " + n + " layers");
        }
        return n == 1 ? 1.0 : (double) idx / (n - 1);
    }
}
