package dev.mergelab.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An lm-eval task config (lm_eval/config/task.py TaskConfig at 4e7e0d47) with the fields MergeLab runs:
 * defaults as there ({@code target_delimiter " "}, {@code fewshot_delimiter "\n\n"}, {@code description ""}).
 * {@code doc_to_*} hold what the YAML holds (a column name or Jinja string, a number, a list, a dict) or a
 * built-in {@link DocFunction} standing for one of lm-eval's Python functions.
 */
public final class TaskConfig {

    public String task;
    public String taskAlias;
    public String datasetPath;
    public String datasetName;
    public String trainingSplit;
    public String validationSplit;
    public String testSplit;
    public String fewshotSplit;
    public String sampler = "default";
    public DocFunction.Docs processDocs;
    public Object docToText;
    public Object docToTarget;
    public Object docToChoice;
    public DocFunction.Results processResults;
    public String description = "";
    public String targetDelimiter = " ";
    public String fewshotDelimiter = "\n\n";
    public String outputType = "generate_until";
    public Integer numFewshot;
    public List<Map<String, Object>> metricList = new ArrayList<>();
    public Object version;
    /**
     * Local files per split from {@code dataset_kwargs: {data_files: ...}} (datasets.load_dataset's argument:
     * a map of split to file or files; a bare file or list is the train split), resolved against the working
     * directory as load_dataset does; empty when the YAML names none.
     */
    public Map<String, List<java.nio.file.Path>> dataFiles = new LinkedHashMap<>();
    /** {@code dataset_path} when it names a local folder: where the split files are unless --data says otherwise. */
    public java.nio.file.Path localDataset;
    /** Where the config came from, for messages. */
    public String source;
    /** The config as read, for results.json's "configs". */
    public Map<String, Object> raw = new LinkedHashMap<>();

    /** Metric names in metric_list order. */
    public List<String> metricNames() {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> m : metricList) {
            out.add(String.valueOf(m.get("metric")));
        }
        return out;
    }
}
