package dev.mergelab.lab.trial;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.engine.MergePlan;
import dev.mergelab.eval.TaskResult;
import dev.mergelab.recipe.Recipe;
import java.util.List;

/**
 * What one trial gave.
 *
 * @param recipe       the recipe evaluated (null for a model scored as it is, {@link TrialRunner#evaluateModel})
 * @param plan         its merge plan (its parents are the shared models: valid while they are open), or null likewise
 * @param results      results.json's tree, exactly as {@code mergelab eval} builds it for the recipe
 * @param tasks        each leaf task's metrics and per-document samples
 * @param mergeSeconds planning and merging every tensor of the child (spilled to scratch when large)
 * @param evalSeconds  loading the merged tensors as a forward pass and scoring every prepared request
 * @param spilled      whether the child went to a scratch file instead of the heap
 */
public record TrialResult(Recipe recipe, MergePlan plan, ObjectNode results, List<TaskResult> tasks, double mergeSeconds,
        double evalSeconds, boolean spilled) {

    public TrialResult {
        tasks = List.copyOf(tasks);
    }

    /** The value of {@code metric} (e.g. {@code acc,none}) of task {@code task} as results.json names it, or NaN. */
    public double value(String task, String metric) {
        JsonNode n = results.path("results").path(task).get(metric);
        return n != null && n.isNumber() ? n.asDouble() : Double.NaN;
    }
}
