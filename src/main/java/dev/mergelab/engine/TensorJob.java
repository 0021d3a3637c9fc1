package dev.mergelab.engine;

import dev.mergelab.tensor.DType;
import dev.mergelab.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Pure data for one output tensor: its name and shape, the method and resolved global parameters, its
 * inputs, and the dtype to write. {@code copy} marks tensors written verbatim from the single input
 * (non-float tensors, passthrough without scale) without decoding. {@code vocabRows} is -1, or for an
 * embedding when the recipe names a tokenizer source, the row count every input is brought to before
 * the method runs ({@link VocabularyRows}).
 */
public record TensorJob(
        String outputName,
        String method,
        List<PlannedInput> inputs,
        Map<String, Object> globalParams,
        long[] outShape,
        DType outDtype,
        boolean isEmbed,
        long vocabRows,
        boolean copy) {

    public TensorJob {
        inputs = List.copyOf(inputs);
        globalParams = Map.copyOf(globalParams);
        outShape = outShape.clone();
    }

    @Override
    public long[] outShape() {
        return outShape.clone();
    }

    public long outNumel() {
        return Shape.numel(outShape);
    }

    public long outBytes() {
        return Math.multiplyExact(outNumel(), (long) outDtype.size());
    }

    /** The shape input {@code i} has when the method sees it (after {@link VocabularyRows#resize}). */
    public long[] inputShape(int i) {
        long[] s = inputs.get(i).ref().shape();
        return vocabRows >= 0 && s.length == 2 ? new long[] {vocabRows, s[1]} : s;
    }

    /** Bytes of input tensors this job reads. */
    public long inputBytes() {
        long b = 0;
        for (PlannedInput in : inputs) {
            b += in.ref().byteSize();
        }
        return b;
    }

    /** Heap the job needs while it runs: every input and the output as float32. */
    public long workingBytes() {
        if (copy) {
            return 0;
        }
        long floats = outNumel();
        long extra = 0;
        for (int i = 0; i < inputs.size(); i++) {
            PlannedInput in = inputs.get(i);
            floats += Math.max(in.ref().numel(), Shape.numel(inputShape(i)));
            if (in.ref().isPatched()) {
                extra += in.ref().patch().workingBytes();
            }
        }
        return floats * 4 + extra;
    }

    /** One line for --dry-run. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(outputName).append(' ').append(outDtype).append(Arrays.toString(outShape)).append(" <- ")
                .append(copy ? "copy" : method);
        if (!globalParams.isEmpty()) {
            sb.append(' ').append(new java.util.TreeMap<>(globalParams));
        }
        sb.append(" [");
        for (int i = 0; i < inputs.size(); i++) {
            PlannedInput in = inputs.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(in.model()).append(':').append(in.ref().name());
            if (in.ref().isPatched()) {
                sb.append(" + ").append(in.ref().patch().describe());
            }
            if (in.isBase()) {
                sb.append(" (base)");
            }
            if (!in.params().isEmpty()) {
                sb.append(' ').append(new java.util.TreeMap<>(in.params()));
            }
        }
        return sb.append(']').toString();
    }
}
