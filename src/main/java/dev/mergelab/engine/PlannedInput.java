package dev.mergelab.engine;

import dev.mergelab.model.TensorRef;
import java.util.Map;

/**
 * One input of a tensor job: which model, which of its tensors, whether it is the base, and the
 * per-model parameters already resolved for this tensor (gradients, filters and precedence applied).
 */
public record PlannedInput(String model, TensorRef ref, boolean isBase, Map<String, Object> params) {

    public PlannedInput {
        params = Map.copyOf(params);
    }
}
