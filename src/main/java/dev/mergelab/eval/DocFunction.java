package dev.mergelab.eval;

import java.util.List;
import java.util.Map;

/** MergeLab's Java versions of the Python functions lm-eval's built-in task YAML files name with {@code !function}. */
public final class DocFunction {

    private DocFunction() {
    }

    /** doc_to_text, doc_to_target or doc_to_choice as a function of the document. */
    @FunctionalInterface
    public interface Field {
        Object apply(Map<String, Object> doc);
    }

    /** process_docs: the whole split in, the processed split out. */
    @FunctionalInterface
    public interface Docs {
        List<Map<String, Object>> apply(List<Map<String, Object>> docs);
    }

    /**
     * process_results for a rolling task: the document and its loglikelihood in, each metric's
     * (loglikelihood, weight) out.
     */
    @FunctionalInterface
    public interface Results {
        Map<String, double[]> apply(Map<String, Object> doc, double loglikelihood);
    }
}
