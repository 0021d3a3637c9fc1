package dev.mergelab.method;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Small builders for {@link TensorMerge} in unit tests. */
final class Jobs {

    private Jobs() {
    }

    static final String TENSOR = "model.layers.0.mlp.up_proj.weight";

    /**
     * A job for {@code method}: an optional base (null = none) named "base", then models "m0", "m1", ...
     * all of {@code shape}; perModel.get(i) are model i's parameters.
     */
    static TensorMerge job(String method, long[] shape, float[] base, List<float[]> models,
                           Map<String, ?> global, List<? extends Map<String, ?>> perModel,
                           long seed, Consumer<String> warnings) {
        MethodSpec spec = MethodRegistry.get(method).spec();
        List<TensorInput> in = new ArrayList<>();
        if (base != null) {
            in.add(new TensorInput("base", base, shape, true, Params.forModel(spec, Map.of(), "base", TENSOR)));
        }
        for (int i = 0; i < models.size(); i++) {
            Map<String, ?> p = perModel.isEmpty() ? Map.of() : perModel.get(i);
            in.add(new TensorInput("m" + i, models.get(i), shape, false, Params.forModel(spec, p, "m" + i, TENSOR)));
        }
        return new TensorMerge(TENSOR, false, in, Params.global(spec, global, TENSOR), seed, warnings);
    }

    static TensorMerge job(String method, float[] base, List<float[]> models, Map<String, ?> global,
                           List<? extends Map<String, ?>> perModel) {
        long[] shape = {(base != null ? base : models.getFirst()).length};
        return job(method, shape, base, models, global, perModel, 0, w -> { });
    }

    static float[] merge(String method, float[] base, List<float[]> models, Map<String, ?> global,
                         List<? extends Map<String, ?>> perModel) {
        return MethodRegistry.get(method).merge(job(method, base, models, global, perModel));
    }

    /** The same per-model map for n models. */
    static List<Map<String, ?>> each(int n, Map<String, ?> p) {
        List<Map<String, ?>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(p);
        }
        return out;
    }

    /** Per-model weights. */
    static List<Map<String, ?>> weights(double... w) {
        List<Map<String, ?>> out = new ArrayList<>();
        for (double x : w) {
            out.add(Map.of("weight", x));
        }
        return out;
    }
}
