package dev.mergelab.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Selected tasks made ready for any model that reads them through one tokenizer: documents loaded (first {@code limit}),
 * few-shot contexts drawn, every request encoded to tokens. Preparing touches no weights, so a soup or a search
 * prepares once and scores hundreds of candidates that share the tokenizer on exactly the same requests; a prepared
 * task is never modified by scoring. Immutable, safe to share between threads.
 */
public final class PreparedTasks {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ModelTokens tokens;
    private final List<Evaluator.Prepared> tasks;
    private final List<BuiltinTasks.Group> groups;
    private final Map<String, String> dataHashes;
    private final Integer limit;
    private final Integer numFewshot;

    private PreparedTasks(ModelTokens tokens, List<Evaluator.Prepared> tasks, List<BuiltinTasks.Group> groups,
                          Map<String, String> dataHashes, Integer limit, Integer numFewshot) {
        this.tokens = tokens;
        this.tasks = List.copyOf(tasks);
        this.groups = List.copyOf(groups);
        this.dataHashes = Collections.unmodifiableMap(new LinkedHashMap<>(dataHashes));
        this.limit = limit;
        this.numFewshot = numFewshot;
    }

    /**
     * Loads and encodes {@code selected}: a task's documents come with its selection ({@code ppl:FILE}) or from
     * {@code dataPaths} (by leaf task name, else by the selected name). Bad data is a one-line error.
     *
     * @param limit      only the first N documents of each task, or null for all
     * @param numFewshot few-shot examples per document (lm-eval's precedence with the task's own), or null
     */
    public static PreparedTasks prepare(List<TaskSelection.Selected> selected, Map<String, Path> dataPaths, ModelTokens tokens,
                                        Integer limit, Integer numFewshot) {
        RequestEncoder encoder = new RequestEncoder(tokens.tokenizer(), tokens.prefixTokenId(), tokens.maxLength());
        // preparing only encodes; the scorer is given per model in ModelEvaluation
        Evaluator preparer = new Evaluator(encoder, null);
        List<Evaluator.Prepared> prepared = new ArrayList<>();
        List<BuiltinTasks.Group> groups = new ArrayList<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        for (TaskSelection.Selected s : selected) {
            for (TaskConfig c : s.configs()) {
                Path p = dataPaths.containsKey(c.task) ? dataPaths.get(c.task) : dataPaths.get(s.name());
                TaskDocs docs = s.rows() != null ? new TaskDocs(c, s.rows()) : new TaskDocs(c, p);
                Evaluator.Prepared task = preparer.prepare(c, docs, limit, numFewshot);
                prepared.add(task);
                hashes.put(c.task, sha256(task.docs()));
            }
            groups.addAll(s.groups());
        }
        return new PreparedTasks(tokens, prepared, groups, hashes, limit, numFewshot);
    }

    /** SHA-256 of the evaluated documents (after the limit) as indented JSON: the lab's data hash of a score. */
    private static String sha256(List<Map<String, Object>> docs) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(JSON.writeValueAsBytes(docs)));
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException("documents read from JSON always serialise, SHA-256 always exists", e);
        }
    }

    /** The tokenizer, prefix token and maximum length the requests were encoded with. */
    public ModelTokens tokens() {
        return tokens;
    }

    /** The leaf tasks, in selection order. */
    public List<Evaluator.Prepared> tasks() {
        return tasks;
    }

    /** The groups the selection aggregates (results.json's group entries). */
    public List<BuiltinTasks.Group> groups() {
        return groups;
    }

    /** Leaf task name to the SHA-256 of its evaluated documents. */
    public Map<String, String> dataHashes() {
        return dataHashes;
    }

    public Integer limit() {
        return limit;
    }

    public Integer numFewshot() {
        return numFewshot;
    }

    /** Tokens a model reads to score every request (the progress total). */
    public long work() {
        return tasks.stream().mapToLong(Evaluator.Prepared::work).sum();
    }

    /** Token requests over all tasks. */
    public int requests() {
        return tasks.stream().mapToInt(p -> p.tokens().size()).sum();
    }
}
