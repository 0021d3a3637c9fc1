package dev.mergelab.tensor;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every Vector API kernel uses, for kernels outside this package: the preferred
 * width, or the one forced by {@code -Dmergelab.vector.bits} (see {@link Vectorization}). Touch it only
 * when {@link Vectorization#vectorised()} is true: it loads {@code jdk.incubator.vector}.
 */
public final class VectorShapes {

    private static final VectorSpecies<Float> FLOATS = VectorCodecSupport.floatSpecies();

    private VectorShapes() {
    }

    /** The float species of the chosen width. */
    public static VectorSpecies<Float> floats() {
        return FLOATS;
    }

    /** The chosen shape. */
    public static VectorShape shape() {
        return FLOATS.vectorShape();
    }
}
