package dev.mergelab.recipe;

/**
 * Where in the output a tensor sits, as far as parameter resolution cares: which module of
 * {@link MergeLayout#modules()} (0 for recipes without {@code modules:}), which output slice of that
 * module, and the layer position t in [0, 1].
 */
public record Site(int module, int slice, double t) {
    public Site {
        if (module < 0 || slice < 0) {
            throw new IllegalArgumentException("negative module or slice index");
        }
        if (!(t >= 0.0 && t <= 1.0)) {
            throw new IllegalArgumentException("layer position t must be in [0, 1], got " + t);
        }
    }

    /** Layer {@code idx} of output slice {@code slice}, which has {@code n} layers. */
    public static Site layer(int module, int slice, int idx, int n) {
        return new Site(module, slice, LayerPosition.t(idx, n));
    }
}
