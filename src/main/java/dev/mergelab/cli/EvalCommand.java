package dev.mergelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.eval.Interference;
import dev.mergelab.eval.ModelTokens;
import dev.mergelab.eval.ResultsJson;
import dev.mergelab.eval.ModelEvaluation;
import dev.mergelab.eval.PreparedTasks;
import dev.mergelab.eval.TaskSelection;
import dev.mergelab.eval.TaskSelection.Selected;
import dev.mergelab.eval.TaskResult;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.recipe.TokenizerSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mergelab eval MODEL [MODEL...] --tasks a,b,...}: lm-eval-harness's log-likelihood evaluation on the
 * CPU (see dev.mergelab.eval), or an external evaluator; results.json in lm-eval's layout, a table, and for
 * several models an interference matrix.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score models on lm-eval-harness tasks with lm-eval's exact conventions (prompts, tokenization, "
                + "metrics, stderr), on the CPU. Data is local: --data TASK=FILE|FOLDER.",
            "Tasks: " + "arc_easy, arc_challenge, hellaswag, piqa, winogrande, lambada_openai, wikitext, mmlu (or mmlu_SUBJECT, "
                + "mmlu_stem, ...), truthfulqa_mc1, ppl:FILE (a text file as one document: word/byte perplexity, bits per byte), "
                + "or an lm-eval task .yaml file."})
final class EvalCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "MODEL", description = "Model folder, hub id in the local cache, BASE+ADAPTER, "
            + "or a recipe (.yml) scored merged in memory.")
    List<String> models;

    @Option(names = "--tasks", required = true, split = ",", paramLabel = "TASK", description = "Comma-separated tasks.")
    List<String> tasks;

    @Option(names = "--data", paramLabel = "TASK=PATH", description = "Where a task's data is: a file (the evaluated split) "
            + "or a folder of <split>.jsonl|json|csv files (mmlu: FOLDER/<subject>/test.jsonl and dev.jsonl, or one file of all "
            + "subjects). A task .yaml may instead name a local folder as dataset_path or files in dataset_kwargs.data_files. Repeatable.")
    List<String> data = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N documents of each task.")
    Integer limit;

    @Option(names = "--num-fewshot", paramLabel = "K", description = "Few-shot examples per document (lm-eval's sampler, seed 1234).")
    Integer numFewshot;

    @Option(names = "--max-length", paramLabel = "N", description = "Tokens the model reads at most (default: config.json's max_position_embeddings).")
    Integer maxLength;

    @Option(names = "--output", paramLabel = "DIR", description = "Write DIR/results.json (several models: DIR/<n>-<model>/results.json "
            + "and DIR/interference.json).")
    Path output;

    @Option(names = "--log-samples", description = "With --output: also DIR/samples_<task>.jsonl, one line per document.")
    boolean logSamples;

    @Option(names = "--json", description = "Print a JSON summary on stdout instead of the table.")
    boolean json;

    @Option(names = "--evaluator", paramLabel = "CMD", description = "Run this command per model instead, e.g. 'lm_eval --model hf "
            + "--model_args pretrained={model} --tasks {tasks} --output_path {out}', and read its results_*.json from {out}.")
    String evaluator;

    @Option(names = "--random-seed", defaultValue = "0", description = "Seed of a recipe's random methods, as for merge; default ${DEFAULT-VALUE}.")
    long seed;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Mixin
    LabOption lab = new LabOption();

    /** SHA-256 of each task's evaluated documents (after --limit), for the lab's scores. */
    private final Map<String, String> dataHashes = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        if (limit != null && limit < 1) {
            throw MergeLabException.input("--limit must be at least 1", null);
        }
        if (numFewshot != null && numFewshot < 0) {
            throw MergeLabException.input("--num-fewshot must be 0 or more", null);
        }
        if (logSamples && output == null) {
            throw MergeLabException.input("--log-samples needs --output DIR", null);
        }
        Map<String, Path> dataPaths = TaskSelection.parseData(data);
        List<Selected> selected = TaskSelection.selectAll(tasks, dataPaths);
        if (evaluator != null && (maxLength != null || numFewshot != null || limit != null || logSamples || !dataPaths.isEmpty())) {
            throw MergeLabException.input("with --evaluator, give --limit, --num-fewshot, --max-length, --data and --log-samples in the evaluator's command", null);
        }

        EvalProgress progress = new EvalProgress(err, json);
        List<Map<String, Map<String, Object>>> perModel = new ArrayList<>();
        List<ObjectNode> documents = new ArrayList<>();
        for (int mi = 0; mi < models.size(); mi++) {
            String model = models.get(mi);
            Path dir = output == null ? null : models.size() == 1 ? output : output.resolve((mi + 1) + "-" + sanitize(model));
            ObjectNode results;
            if (evaluator != null) {
                if (InferSource.isRecipe(model)) {
                    throw MergeLabException.input(model + ": an external evaluator needs a written model; merge the recipe first with 'mergelab merge'", null);
                }
                Path extOut = dir != null ? dir.resolve("evaluator") : Files.createTempDirectory("mergelab-eval-");
                results = EvalExternal.run(evaluator, model, String.join(",", tasks), extOut, err);
                results.put("model_name", model);
                results.put("mergelab_version", dev.mergelab.Version.VERSION);
            } else {
                results = evaluate(model, selected, dataPaths, dir, progress, err);
            }
            if (dir != null) {
                ResultsJson.write(dir.resolve("results.json"), results);
            }
            recordScores(json ? err : out, err, model, results);
            documents.add(results);
            perModel.add(metricsOf(results));
        }
        List<Boolean> parents = models.stream().map(m -> !InferSource.isRecipe(m)).toList();
        if (parents.stream().noneMatch(b -> b)) {
            parents = models.stream().map(m -> true).toList();
        }
        List<Interference.Row> matrix = models.size() > 1 ? Interference.build(perModel, parents) : List.of();
        if (output != null && models.size() > 1) {
            ResultsJson.write(output.resolve("interference.json"), interferenceJson(matrix));
        }
        if (json) {
            ObjectNode summary = MAPPER.createObjectNode();
            ArrayNode arr = summary.putArray("models");
            for (int i = 0; i < models.size(); i++) {
                ObjectNode m = arr.addObject();
                m.put("model", models.get(i));
                m.set("results", documents.get(i).get("results"));
            }
            if (models.size() > 1) {
                summary.set("interference", interferenceJson(matrix).get("rows"));
            }
            if (output != null) {
                summary.put("output", output.toString());
            }
            out.println(MAPPER.writeValueAsString(summary));
        } else {
            printTables(out, perModel);
            if (models.size() > 1) {
                printMatrix(out, matrix);
            }
        }
        out.flush();
        return 0;
    }

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ObjectNode evaluate(String model, List<Selected> selected, Map<String, Path> dataPaths, Path dir,
                                EvalProgress progress, PrintWriter err) throws IOException {
        int t = threads.count();
        try (InferSource source = InferSource.open(model, t, seed, progress::warning);
             Workers workers = new Workers(t)) {
            TransformerModel m = TransformerModel.load(source.weights(), workers);
            String tokenizerModel = tokenizerModel(model);
            Path tokenizerJson = TokenizeCommand.isGgufModel(tokenizerModel) ? source.folder().resolve("tokenizer.json") // rebuilt from GGUF metadata
                    : TokenizeCommand.tokenizerFile(tokenizerModel);
            ModelTokens tokens = ModelTokens.load(tokenizerJson, source.weights().config(), maxLength);
            if (!json) {
                err.printf("%s: maximum length %d (%s), prefix token %d%n", model, tokens.maxLength(), tokens.maxLengthFrom(),
                        tokens.prefixTokenId());
            }
            PreparedTasks prepared = PreparedTasks.prepare(selected, dataPaths, tokens, limit, numFewshot);
            long total = prepared.work();
            progress.started("eval " + model + " (" + prepared.requests() + " requests)");
            ModelEvaluation.Outcome outcome = ModelEvaluation.evaluate(model, m, prepared, progress::warning, done -> progress.update(done, total));
            dataHashes.putAll(prepared.dataHashes());
            if (dir != null && logSamples) {
                Files.createDirectories(dir);
                for (TaskResult r : outcome.tasks()) {
                    ResultsJson.writeSamples(dir.resolve("samples_" + r.config().task + ".jsonl"), r);
                }
            }
            return outcome.results();
        }
    }

    /**
     * Every metric of {@code results} as a lab score of {@code model}, when a lab is active and the model is a
     * file or folder (a recipe's in-memory child has none to name yet). Never fails the command.
     */
    private void recordScores(PrintWriter out, PrintWriter err, String model, ObjectNode results) {
        if (InferSource.isRecipe(model) || model.contains("+") || !Files.exists(Path.of(model))) {
            return;
        }
        String by = evaluator != null ? evaluator : "mergelab " + dev.mergelab.Version.VERSION;
        List<dev.mergelab.lab.registry.Score> scores = dev.mergelab.lab.registry.ResultScores.of(results, limit, dataHashes, by);
        if (!scores.isEmpty()) {
            lab.recordScores(out, err, Path.of(model), scores);
        }
    }

    /** The model whose tokenizer a recipe's child uses: tokenizer_source's model, else the base, else the first model. */
    static String tokenizerModel(String model) {
        if (!InferSource.isRecipe(model)) {
            return model;
        }
        Recipe r = Recipe.parse(Path.of(model));
        if (r.effectiveTokenizerSource().orElse(null) instanceof TokenizerSource.Model tm) {
            return tm.model().raw();
        }
        if (r.baseModel().isPresent()) {
            return r.baseModel().get().raw();
        }
        return r.layout().modelRefs().get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> metricsOf(ObjectNode results) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        Map<String, Object> r = MAPPER.convertValue(results.get("results"), Map.class);
        Set<String> hiddenLeaves = new LinkedHashSet<>();
        if (results.get("group_subtasks") != null) {
            results.get("group_subtasks").properties().forEach(e -> e.getValue().forEach(n -> hiddenLeaves.add(n.asText())));
        }
        r.forEach((task, v) -> {
            if (v instanceof Map<?, ?> m && !hiddenLeaves.contains(task)) {
                Map<String, Object> metrics = new LinkedHashMap<>();
                ((Map<String, Object>) m).forEach((k, x) -> {
                    if (k.contains(",")) {
                        metrics.put(k, x);
                    }
                });
                out.put(task, metrics);
            }
        });
        return out;
    }

    /** One table: a row per task and metric, a column per model (value ± stderr). */
    private void printTables(PrintWriter out, List<Map<String, Map<String, Object>>> perModel) {
        Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
        for (Map<String, Map<String, Object>> m : perModel) {
            m.forEach((task, metrics) -> metrics.keySet().stream().filter(k -> !k.contains("_stderr,"))
                    .forEach(k -> rows.putIfAbsent(task + "\u0000" + k, Map.of())));
        }
        StringBuilder head = new StringBuilder(String.format("%-28s %-16s", "task", "metric"));
        for (int i = 0; i < models.size(); i++) {
            head.append(String.format(" %24s", models.size() == 1 ? "value ± stderr" : "[" + (i + 1) + "]"));
        }
        out.println(head);
        for (String key : rows.keySet()) {
            String task = key.substring(0, key.indexOf('\u0000'));
            String k = key.substring(key.indexOf('\u0000') + 1);
            String metric = k.substring(0, k.indexOf(','));
            StringBuilder line = new StringBuilder(String.format("%-28s %-16s", task, metric));
            for (Map<String, Map<String, Object>> m : perModel) {
                Map<String, Object> metrics = m.getOrDefault(task, Map.of());
                Object v = metrics.get(k);
                Object se = metrics.get(metric + "_stderr" + k.substring(k.indexOf(',')));
                line.append(String.format(" %24s", v == null ? "-" : fmt(v) + " ± " + fmt(se)));
            }
            out.println(line);
        }
        if (models.size() > 1) {
            for (int i = 0; i < models.size(); i++) {
                out.printf("[%d] %s%s%n", i + 1, models.get(i), InferSource.isRecipe(models.get(i)) ? " (recipe)" : "");
            }
        }
    }

    private void printMatrix(PrintWriter out, List<Interference.Row> rows) {
        out.println();
        out.println("interference matrix: score (relative to the best parent model on the task; > 1 is better)");
        StringBuilder head = new StringBuilder(String.format("%-28s %-16s", "task", "metric"));
        for (int i = 0; i < models.size(); i++) {
            head.append(String.format(" %24s", "[" + (i + 1) + "]"));
        }
        out.println(head);
        for (Interference.Row r : rows) {
            StringBuilder line = new StringBuilder(String.format("%-28s %-16s", r.task(), r.metric()));
            for (int i = 0; i < r.scores().size(); i++) {
                line.append(String.format(" %24s", fmt(r.scores().get(i)) + " (" + (r.normalised().get(i) == null ? "-"
                        : String.format("%.3f", r.normalised().get(i))) + ")"));
            }
            out.println(line);
        }
    }

    private static ObjectNode interferenceJson(List<Interference.Row> rows) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode arr = root.putArray("rows");
        for (Interference.Row r : rows) {
            ObjectNode o = arr.addObject();
            o.put("task", r.task());
            o.put("metric", r.metric());
            o.put("higher_is_better", r.higherIsBetter());
            o.set("scores", MAPPER.valueToTree(r.scores()));
            o.set("relative_to_best_parent", MAPPER.valueToTree(r.normalised()));
        }
        return root;
    }

    private static String fmt(Object v) {
        if (v instanceof Number n) {
            return String.format("%.4f", n.doubleValue());
        }
        return v == null ? "-" : String.valueOf(v);
    }

    /** The model's last path component (or hub id's name), safe as a folder name. */
    private static String sanitize(String model) {
        String trimmed = model.replaceAll("[/\\\\]+$", "");
        String last = trimmed.substring(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
        return last.replaceAll("[^A-Za-z0-9_.+-]", "_");
    }

}
