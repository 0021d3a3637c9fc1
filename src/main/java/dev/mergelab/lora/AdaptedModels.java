package dev.mergelab.lora;

import dev.mergelab.model.ModelSource;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code BASE+ADAPTER} as a model: the base's source with each adapted weight replaced by a ref that
 * decodes the base bytes and then adds scale·B·A ({@link LowRankPatch}), and saved modules replaced by
 * the adapter's tensors.
 *
 * <p>Why this design keeps memory bounded: nothing is computed when the model is opened, only
 * validated. The merged weight exists only inside the job that decodes it, as the same float32 working
 * set any merge input has, plus the decoded factors (r·(in+out) floats, counted in the job's memory
 * reservation). So a recipe over several adapted parents runs in the executor's normal heap budget,
 * every tensor is computed exactly once per job that needs it, and unadapted tensors stay zero-copy
 * views of the base (passthrough jobs still copy them byte for byte).
 */
public final class AdaptedModels {

    private AdaptedModels() {
    }

    /** Applies the adapter folder to {@code base}. On success the result owns {@code base}; on failure the caller closes it. */
    public static ModelSource apply(ModelSource base, Path adapterFolder, String displayName, java.util.function.Consumer<String> warnings) {
        Adapter adapter = Adapter.open(adapterFolder);
        try {
            BoundAdapter bound = adapter.bind(base, warnings);
            return base.withTensors(displayName, bound.overlay(base.tensors()), List.of(adapter.file()));
        } catch (RuntimeException e) {
            adapter.close();
            throw e;
        }
    }
}
