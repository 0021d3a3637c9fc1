package dev.mergelab.eval;

import dev.mergelab.MergeLabException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One configured task over its documents: the prompts and requests lm-eval's ConfigurableTask builds
 * (lm_eval/api/task.py at 4e7e0d47), and each document's metrics from its requests' scores.
 */
public final class Task {

    /** The string requests of one document, in lm-eval's request order; {@code rolling} ones have no context. */
    public record DocRequests(List<String[]> pairs, boolean rolling) {
    }

    private final TaskConfig c;
    private final Set<String> features;
    private final boolean multipleInput;

    public Task(TaskConfig config, List<Map<String, Object>> evalDocs) {
        this.c = config;
        this.features = evalDocs.isEmpty() ? Set.of() : evalDocs.get(0).keySet();
        // api/task.py:809-821: doc_to_text giving an int on the first doc makes the task multiple-input
        this.multipleInput = c.docToChoice != null && !evalDocs.isEmpty() && docToText(evalDocs.get(0)) instanceof Integer;
    }

    public TaskConfig config() {
        return c;
    }

    /** doc_to_text (api/task.py:1200-1233). */
    Object docToText(Map<String, Object> doc) {
        Object f = c.docToText;
        if (f instanceof Integer i) {
            return i;
        }
        if (f instanceof DocFunction.Field fn) {
            return fn.apply(doc);
        }
        if (f instanceof String s) {
            if (features.contains(s)) {
                return doc.get(s);
            }
            String text = Jinja.render(s, doc, c.source + ": doc_to_text");
            if (PyStr.isDigit(text) && c.docToChoice != null) {
                return Integer.parseInt(text);
            }
            return text;
        }
        throw MergeLabException.input(c.source + ": doc_to_text must be a string, a column name or a number", null);
    }

    /** doc_to_target (api/task.py:1236-1280). */
    Object docToTarget(Map<String, Object> doc) {
        Object f = c.docToTarget;
        if (f instanceof Integer || f instanceof List) {
            return f;
        }
        if (f instanceof DocFunction.Field fn) {
            return fn.apply(doc);
        }
        if (f instanceof String s) {
            if (features.contains(s)) {
                return doc.get(s);
            }
            Object v = Jinja.evaluate(s, doc, c.source + ": doc_to_target");
            if (v instanceof List || v instanceof Integer || v instanceof Long) {
                return v instanceof Long l ? (Object) Math.toIntExact(l) : v;
            }
            String text = String.valueOf(v);
            if (PyStr.isDigit(text) && c.docToChoice != null) {
                return Integer.parseInt(text);
            }
            return text;
        }
        throw MergeLabException.input(c.source + ": doc_to_target must be a string, a column name, a number or a list", null);
    }

    /** doc_to_choice (api/task.py:1282-1306). */
    List<String> docToChoice(Map<String, Object> doc) {
        Object f = c.docToChoice;
        Object v;
        if (f instanceof DocFunction.Field fn) {
            v = fn.apply(doc);
        } else if (f instanceof String s) {
            v = features.contains(s) ? doc.get(s) : Jinja.evaluate(s, doc, c.source + ": doc_to_choice");
        } else if (f instanceof Map<?, ?> m) {
            v = new ArrayList<>(m.values());
        } else {
            v = f;
        }
        if (!(v instanceof Collection<?> list)) {
            throw MergeLabException.input(c.source + ": doc_to_choice must give a list, got " + v, null);
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            out.add(String.valueOf(o));
        }
        return out;
    }

    /**
     * The context of {@code doc} (api/task.py:933-1042 fewshot_context without chat templates): the description
     * (a column or a template), then each few-shot example as question + target_delimiter + answer +
     * fewshot_delimiter (build_qa_turn, :1044-1107), then the question. A multiple-input task gives one context
     * per choice (multiple_input_context, :1109-1158).
     */
    List<String> contexts(Map<String, Object> doc, List<Map<String, Object>> shots) {
        StringBuilder prefix = new StringBuilder();
        if (!c.description.isEmpty()) {
            // resolve_field (api/task.py:609-612): a column of the document, else a template
            prefix.append(doc.containsKey(c.description) ? String.valueOf(doc.get(c.description))
                    : Jinja.render(c.description, doc, c.source + ": description"));
        }
        for (Map<String, Object> shot : shots) {
            Object q = docToText(shot);
            List<String> choices = c.docToChoice != null ? docToChoice(shot) : null;
            Object a = docToTarget(shot);
            if (multipleInput) {
                q = choices.get((Integer) q);
                choices = null;
            }
            boolean hasAnswer = a != null && !"".equals(a);
            prefix.append(String.valueOf(q)).append(hasAnswer ? c.targetDelimiter : "");
            if (hasAnswer) {
                String answer = a instanceof Integer i && choices != null && !choices.isEmpty() ? choices.get(i)
                        : a instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(a);
                prefix.append(answer).append(c.fewshotDelimiter);
            }
        }
        if (multipleInput) {
            List<String> out = new ArrayList<>();
            for (String choice : docToChoice(doc)) {
                out.add(prefix + choice);
            }
            return out;
        }
        return List.of(prefix + String.valueOf(docToText(doc)));
    }

    /** construct_requests (api/task.py:1362-1453). */
    DocRequests requests(Map<String, Object> doc, List<String> contexts) {
        List<String[]> pairs = new ArrayList<>();
        switch (c.outputType) {
            case "loglikelihood" -> pairs.add(new String[] {contexts.get(0), String.valueOf(docToTarget(doc))});
            case "loglikelihood_rolling" -> {
                pairs.add(new String[] {null, String.valueOf(docToTarget(doc))});
                return new DocRequests(pairs, true);
            }
            case "multiple_choice" -> {
                if (multipleInput) {
                    String cont = c.targetDelimiter + docToTarget(doc);
                    for (String ctx : contexts) {
                        pairs.add(new String[] {ctx, cont});
                    }
                } else {
                    for (String choice : docToChoice(doc)) {
                        pairs.add(new String[] {contexts.get(0), c.targetDelimiter + choice});
                    }
                }
            }
            default -> throw MergeLabException.input(c.source + ": output_type " + c.outputType
                    + " is not supported (loglikelihood, loglikelihood_rolling, multiple_choice)", null);
        }
        return new DocRequests(pairs, false);
    }

    /**
     * process_results (api/task.py:1455-1560): per metric, the document's value: a number for mean and
     * perplexity aggregations, a (loglikelihood, weight) pair for the weighted ones.
     */
    Map<String, double[]> results(Map<String, Object> doc, Score[] scores) {
        Map<String, double[]> out = new LinkedHashMap<>();
        List<String> use = c.metricNames();
        switch (c.outputType) {
            case "loglikelihood" -> {
                if (use.contains("perplexity")) {
                    out.put("perplexity", new double[] {scores[0].logprob()});
                }
                if (use.contains("acc")) {
                    out.put("acc", new double[] {scores[0].greedy() ? 1 : 0});
                }
            }
            case "loglikelihood_rolling" -> {
                double ll = scores[0].logprob();
                if (c.processResults != null) {
                    return c.processResults.apply(doc, ll);
                }
                String text = String.valueOf(docToTarget(doc));
                if (use.contains("word_perplexity")) {
                    out.put("word_perplexity", new double[] {ll, PyStr.wordCount(text)});
                }
                if (use.contains("byte_perplexity")) {
                    out.put("byte_perplexity", new double[] {ll, PyStr.utf8Length(text)});
                }
                if (use.contains("bits_per_byte")) {
                    out.put("bits_per_byte", new double[] {ll, PyStr.utf8Length(text)});
                }
            }
            default -> {
                List<String> choices = docToChoice(doc);
                int pred = 0;
                int predNorm = 0;
                for (int i = 1; i < scores.length; i++) {
                    if (scores[i].logprob() > scores[pred].logprob()) {
                        pred = i;
                    }
                    if (scores[i].logprob() / PyStr.len(choices.get(i)) > scores[predNorm].logprob() / PyStr.len(choices.get(predNorm))) {
                        predNorm = i;
                    }
                }
                Object gold = multipleInput ? docToText(doc) : docToTarget(doc);
                List<Integer> golds = new ArrayList<>();
                if (gold instanceof List<?> l) {
                    for (Object g : l) {
                        golds.add(((Number) g).intValue() < choices.size() ? ((Number) g).intValue() : -100);
                    }
                } else if (gold instanceof Number n) {
                    golds.add(n.intValue() < choices.size() ? n.intValue() : -100);
                } else {
                    golds.add(choices.indexOf(String.valueOf(gold)) < 0 ? -100 : choices.indexOf(String.valueOf(gold)));
                }
                if (use.contains("acc")) {
                    out.put("acc", new double[] {golds.contains(pred) ? 1 : 0});
                }
                if (use.contains("acc_norm")) {
                    out.put("acc_norm", new double[] {golds.contains(predNorm) ? 1 : 0});
                }
            }
        }
        return out;
    }

    /** Whether few-shot sampling leaves the document out (api/task.py:986-990: only when the splits are the same). */
    boolean excludesEvalDoc() {
        return Objects.equals(c.fewshotSplit, c.testSplit);
    }
}
