package dev.mergelab.engine;

import dev.mergelab.method.ChunkedMerge;
import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.Params;
import dev.mergelab.method.TensorInput;
import dev.mergelab.method.TensorMerge;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Bridges a planned job to the method layer: decoded inputs plus resolved parameters into a {@link TensorMerge}. */
public final class MethodCompute implements TensorCompute {

    private final long seed;

    /** @param seed the recipe's random seed; each method derives per-tensor, per-model generators from it */
    public MethodCompute(long seed) {
        this.seed = seed;
    }

    @Override
    public float[] compute(TensorJob job, float[][] data, Consumer<String> warnings) {
        MergeMethod method = MethodRegistry.get(job.method());
        List<TensorInput> inputs = new ArrayList<>(data.length);
        for (int i = 0; i < data.length; i++) {
            PlannedInput in = job.inputs().get(i);
            inputs.add(new TensorInput(in.model(), data[i], job.inputShape(i), in.isBase(),
                    Params.forModel(method.spec(), in.params(), in.model(), in.ref().name())));
        }
        TensorMerge merge = new TensorMerge(job.outputName(), job.isEmbed(), inputs,
                Params.global(method.spec(), job.globalParams(), job.outputName()), seed, warnings);
        return method.merge(merge);
    }

    @Override
    public ChunkedMerge chunked(TensorJob job, Consumer<String> warnings) {
        MergeMethod method = MethodRegistry.get(job.method());
        List<TensorInput> inputs = new ArrayList<>(job.inputs().size());
        for (int i = 0; i < job.inputs().size(); i++) {
            PlannedInput in = job.inputs().get(i);
            // the shape the chunks have: a tokenizer source's vocabulary when the job is resized to it
            inputs.add(new TensorInput(in.model(), null, job.inputShape(i), in.isBase(),
                    Params.forModel(method.spec(), in.params(), in.model(), in.ref().name())));
        }
        TensorMerge header = new TensorMerge(job.outputName(), job.isEmbed(), inputs,
                Params.global(method.spec(), job.globalParams(), job.outputName()), seed, warnings);
        return method.chunked(header);
    }
}
