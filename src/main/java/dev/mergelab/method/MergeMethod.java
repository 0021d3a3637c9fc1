package dev.mergelab.method;

/**
 * A merge method: a pure function of the aligned inputs of one output weight plus resolved parameters.
 * Implementations never mutate the input arrays, never print, and draw randomness only from
 * {@link TensorMerge#random(int)}.
 */
public interface MergeMethod {

    MethodSpec spec();

    /** Merges one tensor; returns a new array of {@link #outputShape}'s size. */
    float[] merge(TensorMerge job);

    /**
     * The shape {@link #merge} returns. By default inputs must agree in shape, except embeddings, which
     * are cut to the common top-left submatrix (METHODS.md §1 Shapes).
     */
    default long[] outputShape(TensorMerge job) {
        return Shapes.commonShape(spec().name(), job);
    }
}
