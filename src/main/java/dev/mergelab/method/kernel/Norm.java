package dev.mergelab.method.kernel;

import dev.mergelab.tensor.FloatKernels;

/**
 * The norms mergekit's rescale can match (METHODS.md §4.5), accumulated chunk by chunk: each chunk's
 * {@link #partial} is folded with {@link #add} (a double sum, or a max) and {@link #finish}ed once.
 */
public enum Norm {
    L1, L2, LINF;

    /** This norm's accumulator contribution of {@code x[0..n)}. */
    public double partial(float[] x, int n) {
        return switch (this) {
            case L1 -> FloatKernels.l1Norm(x, 0, n);
            case L2 -> FloatKernels.sumSquares(x, 0, n);
            case LINF -> FloatKernels.maxAbs(x, 0, n);
        };
    }

    /** Folds a chunk's partial into the accumulator (which starts at 0). */
    public double add(double acc, double partial) {
        return this == LINF ? Math.max(acc, partial) : acc + partial;
    }

    /** The norm from the folded accumulator. */
    public double finish(double acc) {
        return this == L2 ? Math.sqrt(acc) : acc;
    }

    /** Parses "l1" / "l2" / "linf"; null for null. */
    public static Norm parse(String s) {
        if (s == null) {
            return null;
        }
        return switch (s) {
            case "l1" -> L1;
            case "l2" -> L2;
            case "linf" -> LINF;
            default -> throw new IllegalArgumentException("unknown norm " + s);
        };
    }
}
