package dev.mergelab.engine;

import dev.mergelab.model.ModelSource;
import java.util.List;

/**
 * Everything a merge will do, as data: one job per output tensor in output order, the models they read,
 * and where config and tokenizer come from. It can be printed ({@code --dry-run}), tested without I/O,
 * and executed by {@link Executor}.
 *
 * @param method        the merge method name
 * @param jobs          output tensors in the order they will be written
 * @param models        the opened parent models, in recipe order
 * @param configSource  the model whose config.json is the template for the output (base, else first)
 * @param tokenizerSource the model whose tokenizer files are copied (null to copy none)
 * @param numLayers     the output's layer count (differs from the parents' for passthrough stacking)
 * @param vocabSize     the output's vocabulary size (rows of the embedding), or -1 if unknown
 * @param flat          true when the parents are single .safetensors files (output: model.safetensors only)
 * @param chatTemplate  the recipe's chat_template as resolved for the output's tokenizer_config.json (null: none)
 */
public record MergePlan(
        String method,
        List<TensorJob> jobs,
        List<ModelSource> models,
        ModelSource configSource,
        ModelSource tokenizerSource,
        int numLayers,
        long vocabSize,
        boolean flat,
        ChatTemplates.Choice chatTemplate) {

    /** A plan whose output gets no chat template of the recipe's. */
    public MergePlan(String method, List<TensorJob> jobs, List<ModelSource> models, ModelSource configSource,
            ModelSource tokenizerSource, int numLayers, long vocabSize, boolean flat) {
        this(method, jobs, models, configSource, tokenizerSource, numLayers, vocabSize, flat, null);
    }

    public long outputBytes() {
        long b = 0;
        for (TensorJob j : jobs) {
            b += j.outBytes();
        }
        return b;
    }

    public long inputBytes() {
        long b = 0;
        for (TensorJob j : jobs) {
            b += j.inputBytes();
        }
        return b;
    }

    public long outputParameters() {
        long n = 0;
        for (TensorJob j : jobs) {
            n += j.outNumel();
        }
        return n;
    }
}
