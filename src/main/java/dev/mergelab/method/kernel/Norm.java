package dev.mergelab.method.kernel;

/** The norms mergekit's rescale can match (METHODS.md §4.5). */
public enum Norm {
    L1, L2, LINF;

    public double of(float[] x) {
        return switch (this) {
            case L1 -> Vec.l1(x);
            case L2 -> Vec.norm(x);
            case LINF -> Vec.linf(x);
        };
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
