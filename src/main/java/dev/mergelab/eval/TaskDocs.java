package dev.mergelab.eval;

import dev.mergelab.MergeLabException;
import dev.mergelab.data.HubDatasets;
import dev.mergelab.data.Rows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where a task's splits come from: {@code --data TASK=PATH}, a file (the split the task evaluates) or a folder
 * holding {@code <split>.jsonl|json|csv|parquet} (or {@code <split>-*.*} as the hub writes them), looked for first
 * in {@code PATH/<dataset_name>/} (one folder per config, as mmlu's subjects) and then in PATH. Without
 * {@code --data}, the task's {@code dataset_path} and {@code dataset_name} are looked up in the Hugging Face hub
 * cache ({@link HubDatasets}), as model hub ids are.
 */
public final class TaskDocs {

    private final TaskConfig config;
    private final Path path;
    private final List<Map<String, Object>> rows;

    public TaskDocs(TaskConfig config, Path path) {
        this.config = config;
        this.path = path != null ? path : config.localDataset;
        this.rows = null;
    }

    /** Documents given directly (a ppl:FILE task's one document); the few-shot pool is the same rows. */
    public TaskDocs(TaskConfig config, List<Map<String, Object>> rows) {
        this.config = config;
        this.path = null;
        this.rows = rows;
    }

    /** The split the task evaluates: test if it has one, else validation (api/task.py:566 eval_docs). */
    public String evalSplit() {
        if (config.testSplit != null) {
            return config.testSplit;
        }
        if (config.validationSplit != null) {
            return config.validationSplit;
        }
        throw MergeLabException.input(config.source + ": the task has neither test_split nor validation_split", null);
    }

    public List<Map<String, Object>> evalDocs() {
        if (rows != null) {
            return process(rows);
        }
        String split = evalSplit();
        if (path == null && config.dataFiles.containsKey(split)) {
            return process(readAll(config.dataFiles.get(split)));
        }
        if (path != null && Files.isRegularFile(path)) {
            return process(read(path));
        }
        return process(splitRows(split));
    }

    /**
     * The few-shot pool (api/task.py:906-931 and :204-219): fewshot_split if set, else the training split,
     * else validation, else test, each through process_docs.
     */
    public List<Map<String, Object>> fewshotDocs() {
        if (rows != null) {
            return process(rows);
        }
        String split = config.fewshotSplit != null ? config.fewshotSplit
                : config.trainingSplit != null ? config.trainingSplit
                : config.validationSplit != null ? config.validationSplit : config.testSplit;
        if (path == null && config.dataFiles.containsKey(split)) {
            return process(readAll(config.dataFiles.get(split)));
        }
        if (path != null && Files.isRegularFile(path)) {
            if (split.equals(evalSplit())) {
                return process(read(path));
            }
            throw MergeLabException.input("few-shot examples of " + config.task + " come from its " + split
                    + " split; give --data " + config.task + "=FOLDER holding " + split + ".jsonl beside " + evalSplit() + ".jsonl", null);
        }
        return process(splitRows(split));
    }

    /** The rows of {@code split}: from the {@code --data} folder, else from the hub cache's copy of the dataset. */
    private List<Map<String, Object>> splitRows(String split) {
        if (path == null && config.datasetPath != null) {
            var files = HubDatasets.fromEnvironment().find(config.datasetPath, config.datasetName, split, null);
            if (files.isPresent()) {
                return readAll(files.get());
            }
        }
        return read(find(split));
    }

    /**
     * The split file's rows; an mmlu file holding every subject (cais/mmlu's {@code all} config, found in PATH
     * rather than PATH/SUBJECT) gives the rows of this task's subject, by its {@code subject} column.
     */
    private List<Map<String, Object>> read(Path file) {
        List<Map<String, Object>> all = Rows.read(file);
        boolean shared = config.datasetName != null && !file.getParent().equals(path.resolve(config.datasetName));
        if (shared && "cais/mmlu".equals(config.datasetPath) && !all.isEmpty() && all.get(0).containsKey("subject")) {
            return all.stream().filter(r -> config.datasetName.equals(r.get("subject"))).toList();
        }
        return all;
    }

    /** The rows of every data file of a split, in order (datasets concatenates a split's files). */
    private static List<Map<String, Object>> readAll(List<Path> files) {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Path f : files) {
            out.addAll(Rows.read(f));
        }
        return out;
    }

    private List<Map<String, Object>> process(List<Map<String, Object>> rows) {
        if (config.processDocs == null) {
            return rows;
        }
        try {
            return config.processDocs.apply(rows);
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw MergeLabException.input("task " + config.task + ": process_docs: " + e.getMessage(), null);
        }
    }

    private Path find(String split) {
        String hint = "(columns of the Hugging Face dataset " + (config.datasetPath == null ? "" : config.datasetPath)
                + (config.datasetName == null ? "" : " " + config.datasetName) + ")";
        if (path == null) {
            throw MergeLabException.input("no data for task " + config.task + ": download " + split + ".jsonl " + hint
                    + " and pass --data " + config.task + "=FOLDER (or =FILE)", config.datasetPath == null ? null
                    : "or download it into the Hugging Face cache: huggingface-cli download " + config.datasetPath
                            + " --repo-type dataset --include '" + (config.datasetName == null ? "" : config.datasetName + "/") + split + "*'");
        }
        if (!Files.exists(path)) {
            throw MergeLabException.input("--data " + config.task + "=" + path + ": no such file or folder", null);
        }
        for (Path dir : config.datasetName == null ? List.of(path) : List.of(path.resolve(config.datasetName), path)) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            for (String ext : Rows.EXTENSIONS) {
                Path f = dir.resolve(split + "." + ext);
                if (Files.isRegularFile(f)) {
                    return f;
                }
            }
            try (var files = Files.list(dir)) {
                var match = files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().startsWith(split + "-")).sorted().findFirst();
                if (match.isPresent()) {
                    return match.get();
                }
            } catch (java.io.IOException e) {
                throw MergeLabException.input(dir + ": cannot list: " + e.getMessage(), null);
            }
        }
        Path where = config.datasetName == null ? path : path.resolve(config.datasetName);
        throw MergeLabException.input("no data for task " + config.task + ": expected " + where.resolve(split + ".jsonl")
                + " " + hint, null);
    }
}
