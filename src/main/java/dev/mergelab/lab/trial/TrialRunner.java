package dev.mergelab.lab.trial;

import dev.mergelab.MergeLabException;
import dev.mergelab.engine.Executor;
import dev.mergelab.engine.FileHashes;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.engine.ModelOpener;
import dev.mergelab.engine.VirtualChild;
import dev.mergelab.eval.ModelEvaluation;
import dev.mergelab.eval.ModelTokens;
import dev.mergelab.eval.PreparedTasks;
import dev.mergelab.eval.TaskSelection;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.WeightSource;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Runs trials: a recipe (built in memory) is planned over the shared parents, merged as a {@link VirtualChild}, and
 * scored on tasks prepared once; the scores are exactly those {@code mergelab eval RECIPE.yml} gives for the same
 * recipe, seed, tasks and options.
 *
 * <p>Merge and evaluation are timed apart. A virtual child merges a tensor when the forward pass first reads it, so a
 * trial first forces the merge of every tensor: each is kept on the heap (the child's cache holds them all) or, when
 * the child is larger than {@link Options#heapShare}, written to an unlinked scratch file and mapped back, as
 * {@code eval} does with a large recipe. Merge seconds are planning plus that pass; evaluation seconds are loading the
 * forward pass over the merged tensors (no merging left) plus scoring. The child and its scratch file are released
 * when the trial ends; the parents stay open for the next.
 *
 * <p>Candidates must share the tokenizer the tasks were prepared with (the same tokenizer files: the usual case for
 * fine-tunes of one base); another is a one-line error. One trial at a time per runner: run several runners for
 * parallel trials.
 */
public final class TrialRunner implements AutoCloseable {

    /**
     * @param threads    merge and forward-pass threads
     * @param seed       the seed of random merge methods (as {@code --random-seed})
     * @param heapShare  a child larger than this many bytes is spilled to {@code scratchDir}
     * @param scratchDir where a spilled child's unlinked scratch file goes
     */
    public record Options(int threads, long seed, long heapShare, Path scratchDir) {

        /** A quarter of the heap as the share (as {@code eval}), scratch in {@code MERGELAB_TMP} or the system temp folder. */
        public static Options defaults(int threads, long seed) {
            String dir = System.getenv("MERGELAB_TMP");
            return new Options(threads, seed, Runtime.getRuntime().maxMemory() / 4,
                    Path.of(dir != null && !dir.isBlank() ? dir : System.getProperty("java.io.tmpdir")));
        }
    }

    private final ModelOpener models;
    private final PreparedTasks tasks;
    private final Options opts;
    private final Consumer<String> warnings;
    private final Workers workers;
    private final String tokenizerDigest;
    private final Map<Path, String> digests = new HashMap<>();

    /**
     * @param models       the shared parents (a {@link SharedModels}); the runner never closes them
     * @param tasks        the tasks, prepared with the tokenizer in {@code tokenizerJson}'s folder
     * @param tokenizerJson the tokenizer.json the tasks were prepared with
     */
    public TrialRunner(ModelOpener models, PreparedTasks tasks, Path tokenizerJson, Options opts, Consumer<String> warnings) {
        this.models = models;
        this.tasks = tasks;
        this.opts = opts;
        this.warnings = warnings;
        this.tokenizerDigest = tokenizerDigest(tokenizerJson.toAbsolutePath().getParent());
        this.workers = new Workers(opts.threads());
    }

    /**
     * Prepares {@code selected} once with the tokenizer of the model {@code tokenizerRef} names (opened through
     * {@code models}: a soup's or search's base or first parent) and returns a runner over them. The maximum length is
     * that model's config.json's unless {@code maxLength} is given, as {@code eval} resolves it for a recipe's child.
     */
    public static TrialRunner prepare(ModelOpener models, String tokenizerRef, List<TaskSelection.Selected> selected,
                                      Map<String, Path> dataPaths, Integer limit, Integer numFewshot, Integer maxLength,
                                      Options opts, Consumer<String> warnings) {
        ModelSource m = models.open(tokenizerRef);
        Path tokenizerJson = m.folder().resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw MergeLabException.input("model " + tokenizerRef + " has no tokenizer.json", "evaluation reads text through the model's tokenizer");
        }
        if (!Files.isRegularFile(m.folder().resolve("config.json"))) {
            throw MergeLabException.input("model " + tokenizerRef + " has no config.json", "evaluation needs a model folder with its config");
        }
        ModelTokens tokens = ModelTokens.load(tokenizerJson, ModelConfig.readFolder(m.folder()), maxLength);
        PreparedTasks tasks = PreparedTasks.prepare(selected, dataPaths, tokens, limit, numFewshot);
        return new TrialRunner(models, tasks, tokenizerJson, opts, warnings);
    }

    public PreparedTasks tasks() {
        return tasks;
    }

    /** Runs {@code recipe}; results.json names the model by the recipe's source name. */
    public TrialResult run(Recipe recipe) {
        return run(recipe, recipe.source(), done -> { });
    }

    /**
     * Merges and scores {@code recipe}.
     *
     * @param name     the model name results.json gives
     * @param progress hears the tokens scored so far (out of {@code tasks().work()})
     */
    public TrialResult run(Recipe recipe, String name, LongConsumer progress) {
        long t0 = System.nanoTime();
        try (MergeSession session = MergeSession.borrowing(recipe, models, warnings)) {
            ModelSource tokenizerModel = session.plan().tokenizerSource() != null ? session.plan().tokenizerSource()
                    : session.plan().configSource();
            checkTokenizer(tokenizerModel);
            long bytes = session.plan().outputBytes();
            boolean spill = bytes > opts.heapShare();
            // kept on the heap: the cache holds every tensor, so the forward pass reads what the merge pass made
            long cache = spill ? 0 : bytes;
            Executor.Options exec = new Executor.Options(opts.threads(), Runtime.getRuntime().maxMemory() / 2);
            try (VirtualChild child = session.virtualChild(opts.seed(), exec, cache, warnings)) {
                if (spill) {
                    child.spillTo(opts.scratchDir());
                }
                WeightSource weights = child.weights();
                for (String tensor : child.jobs().keySet()) {
                    weights.tensor(tensor);
                }
                long t1 = System.nanoTime();
                ModelEvaluation.Outcome outcome = ModelEvaluation.evaluate(name, weights, workers, tasks, warnings, progress);
                long t2 = System.nanoTime();
                return new TrialResult(recipe, session.plan(), outcome.results(), outcome.tasks(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, spill);
            }
        }
    }

    /**
     * Scores the model {@code ref} names as it is, opened through the shared models (no merge: merge seconds 0, and
     * the result's recipe and plan are null): a soup's ingredient, a search's parent, exactly as {@code eval MODEL}.
     */
    public TrialResult evaluateModel(String ref, String name, LongConsumer progress) {
        ModelSource m = models.open(ref);
        checkTokenizer(m);
        long t0 = System.nanoTime();
        ModelEvaluation.Outcome outcome = ModelEvaluation.evaluate(name, m, workers, tasks, warnings, progress);
        return new TrialResult(null, null, outcome.results(), outcome.tasks(), 0, (System.nanoTime() - t0) / 1e9, false);
    }

    private void checkTokenizer(ModelSource m) {
        Path folder = m.folder().toAbsolutePath().normalize();
        String digest;
        synchronized (digests) {
            digest = digests.computeIfAbsent(folder, TrialRunner::tokenizerDigest);
        }
        if (!digest.equals(tokenizerDigest)) {
            throw MergeLabException.input("the candidate's tokenizer (" + folder + ") differs from the one the tasks were prepared with",
                    "every candidate must read text with the same tokenizer files");
        }
    }

    /** SHA-256 over the files {@code ModelTokens} reads (tokenizer.json, tokenizer_config.json, special_tokens_map.json). */
    private static String tokenizerDigest(Path folder) {
        StringBuilder sb = new StringBuilder();
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
            Path p = folder.resolve(f);
            try {
                sb.append(f).append(' ').append(Files.isRegularFile(p) ? FileHashes.sha256(Files.readAllBytes(p)) : "-").append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sb.toString();
    }

    /** Stops the forward-pass threads; the shared models stay open. */
    @Override
    public void close() {
        workers.close();
    }
}
