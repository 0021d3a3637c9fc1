package dev.mergelab.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.WeightSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Scores one model on {@link PreparedTasks}: every request through the forward pass, metrics aggregated as lm-eval
 * does, and results.json's tree ({@link ResultsJson#build}). What {@code eval} does per model, and what a soup or a
 * search does per candidate.
 */
public final class ModelEvaluation {

    /**
     * What scoring gave.
     *
     * @param results results.json's tree (lm-eval's layout, {@code model_name} the name given)
     * @param tasks   each leaf task's metrics and per-document samples, in task order
     */
    public record Outcome(ObjectNode results, List<TaskResult> tasks) {
    }

    private ModelEvaluation() {
    }

    /** Loads {@code weights} as a forward pass on {@code workers} and scores it; see {@link #evaluate(String, TransformerModel, PreparedTasks, Consumer, LongConsumer)}. */
    public static Outcome evaluate(String modelName, WeightSource weights, Workers workers, PreparedTasks tasks,
                                   Consumer<String> warnings, LongConsumer progress) {
        return evaluate(modelName, TransformerModel.load(weights, workers), tasks, warnings, progress);
    }

    /**
     * Scores every prepared task on {@code model}, in order.
     *
     * @param warnings hears truncation warnings (a request longer than the maximum length)
     * @param progress hears the running total of tokens read (out of {@link PreparedTasks#work()})
     */
    public static Outcome evaluate(String modelName, TransformerModel model, PreparedTasks tasks, Consumer<String> warnings,
                                   LongConsumer progress) {
        ModelTokens tokens = tasks.tokens();
        RequestEncoder encoder = new RequestEncoder(tokens.tokenizer(), tokens.prefixTokenId(), tokens.maxLength());
        Evaluator evaluator = new Evaluator(encoder, new Scorer(model, tokens.maxLength(), warnings));
        long[] done = {0};
        List<TaskResult> results = new ArrayList<>();
        for (Evaluator.Prepared p : tasks.tasks()) {
            results.add(evaluator.run(p, w -> progress.accept(done[0] += w)));
        }
        return new Outcome(ResultsJson.build(modelName, results, tasks.groups(), tasks.limit(), tasks.numFewshot()), results);
    }
}
