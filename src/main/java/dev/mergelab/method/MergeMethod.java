package dev.mergelab.method;

/**
 * A merge method: a pure function of the aligned inputs of one output weight plus resolved parameters.
 * Implementations never mutate the input arrays, never print, and draw randomness only from
 * {@link TensorMerge#randomKey(int)}, one draw per element position.
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

    /**
     * Eager parameter check for planning and {@code --dry-run}, without merging: every given value must
     * pass its type and range check, and every required parameter must be present — of the global scope,
     * and of each input except a special base (for {@link BaseRequirement#NOT_SPECIAL} methods the base is
     * an ordinary input and needs its own). Throws the same one-line errors {@link #merge} would.
     */
    default void checkParams(TensorMerge job) {
        job.global().validateAll();
        job.global().requireAll();
        boolean baseExempt = spec().base() != BaseRequirement.NOT_SPECIAL;
        for (TensorInput in : job.inputs()) {
            in.params().validateAll();
            if (in.isBase() && baseExempt) {
                continue;
            }
            in.params().requireAll();
        }
    }

    /**
     * The chunked form of this merge for a tensor described by {@code header} (its inputs carry shapes and
     * parameters but {@code data == null}), or null when the method only works on whole tensors. The engine
     * uses it for tensors too large to hold as float32 copies.
     */
    default ChunkedMerge chunked(TensorMerge header) {
        return null;
    }
}
