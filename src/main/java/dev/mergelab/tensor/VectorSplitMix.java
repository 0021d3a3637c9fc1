package dev.mergelab.tensor;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SplitMix64 on long vectors of the chosen width, shared by every Vector API kernel that draws
 * position-keyed random words ({@link FloatKernels#splitMix32} here, the sparsifiers' keep masks and
 * arcee_fusion's sample in {@code method/kernel}). Touch it only when {@link Vectorization#vectorised()}
 * is true: it loads {@code jdk.incubator.vector}.
 */
public final class VectorSplitMix {

    /** Longs of the float species' width. */
    public static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, VectorShapes.shape());

    private VectorSplitMix() {
    }

    /** Added to every lane's Weyl state per vector: as many outputs as there are lanes. */
    public static final LongVector WEYL_STEP = LongVector.broadcast(LONGS, LONGS.length() * FloatKernels.GOLDEN_GAMMA);

    /**
     * The Weyl states of the SplitMix64 outputs that hold 32-bit words {@code first, first + 1, ...}
     * (first even): lane l holds output first/2 + l, whose two halves are words first + 2l and
     * first + 2l + 1, the int lanes of the reinterpreted vector in position order.
     */
    public static LongVector wordWeyl(long seed, long first) {
        return LongVector.zero(LONGS).addIndex(1).add((first >>> 1) + 1).mul(FloatKernels.GOLDEN_GAMMA).add(seed);
    }

    /** SplitMix64's finaliser on every lane's Weyl state (the vector form of {@link FloatKernels#splitMix64}). */
    public static LongVector finish(LongVector weyl) {
        LongVector y = weyl.lanewise(VectorOperators.XOR, weyl.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
        y = y.lanewise(VectorOperators.XOR, y.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
        return y.lanewise(VectorOperators.XOR, y.lanewise(VectorOperators.LSHR, 31));
    }
}
