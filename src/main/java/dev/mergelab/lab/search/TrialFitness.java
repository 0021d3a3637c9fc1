package dev.mergelab.lab.search;

import dev.mergelab.MergeLabException;
import dev.mergelab.engine.MergeSession;
import dev.mergelab.eval.PreparedTasks;
import dev.mergelab.eval.TaskSelection;
import dev.mergelab.lab.trial.Objective;
import dev.mergelab.lab.trial.Objectives;
import dev.mergelab.lab.trial.SharedModels;
import dev.mergelab.lab.trial.TrialRecorder;
import dev.mergelab.lab.trial.TrialResult;
import dev.mergelab.lab.trial.TrialRunner;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The search's fitness on the lab's trial layer: each candidate recipe is merged as a virtual child over the parents
 * (opened once for the whole search), scored on the tasks (prepared once: documents, few-shot contexts, tokens), its
 * objective values read from the results, and, when a lab is active, recorded as a virtual candidate with its scores.
 * A trial runner does one trial at a time, so concurrent candidates each take a runner of their own (kept for reuse).
 */
public final class TrialFitness implements Fitness, AutoCloseable {

    private final SharedModels models;
    private final PreparedTasks tasks;
    private final Path tokenizerJson;
    private final Objectives objectives;
    private final TrialRecorder recorder;
    private final long seed;
    private final TrialRunner.Options base;
    private final Consumer<String> warnings;
    private final long childBytes;
    private final Map<Integer, Deque<TrialRunner>> idle = new HashMap<>();
    private final List<TrialRunner> all = new ArrayList<>();

    private TrialFitness(SharedModels models, TrialRunner first, Path tokenizerJson, Objectives objectives, TrialRecorder recorder,
                         long seed, TrialRunner.Options base, Consumer<String> warnings, long childBytes) {
        this.models = models;
        this.tasks = first.tasks();
        this.tokenizerJson = tokenizerJson;
        this.objectives = objectives;
        this.recorder = recorder;
        this.seed = seed;
        this.base = base;
        this.warnings = warnings;
        this.childBytes = childBytes;
        all.add(first);
        idle.computeIfAbsent(base.threads(), k -> new ArrayDeque<>()).add(first);
    }

    /**
     * Selects and prepares the configuration's tasks with the tokenizer of the tokenizer source (else the base, else
     * the first model), checks each objective's metric against them, and plans the genome's largest child once, which
     * also checks every model and the recipe against the method before the search starts.
     *
     * @param recorder records each candidate, or null without a lab
     */
    public static TrialFitness open(SearchConfig config, Genome genome, double[] largest, SharedModels models, TrialRecorder recorder,
                                    int threads, Consumer<String> warnings) {
        Map<String, Path> data = new LinkedHashMap<>();
        LinkedHashSet<String> names = new LinkedHashSet<>();
        List<Objective> list = new ArrayList<>();
        for (SearchConfig.Objective o : config.tasks()) {
            names.add(o.name());
            o.data().ifPresent(d -> {
                Path before = data.putIfAbsent(o.name(), Path.of(d));
                if (before != null && !before.equals(Path.of(d))) {
                    throw SearchConfigParser.error(config.source(), o.line(), "task " + o.name() + " is given two data paths");
                }
            });
            list.add(new Objective(o.name(), o.metric(), o.weight()));
        }
        List<TaskSelection.Selected> selected;
        for (SearchConfig.Objective o : config.tasks()) {
            // a task that cannot be selected is reported at its line, as any other mistake in the file
            at(config, o, () -> TaskSelection.select(o.name()));
        }
        try {
            selected = TaskSelection.selectAll(List.copyOf(names), data);
        } catch (IOException e) {
            throw MergeLabException.input(config.source() + ": cannot read a task: " + e.getMessage(), null);
        }
        for (int i = 0; i < list.size(); i++) {
            Objective one = list.get(i);
            at(config, config.tasks().get(i), () -> Objectives.resolve(List.of(one), selected));
        }
        Objectives objectives = Objectives.resolve(list, selected);
        String tokenizerRef = tokenizerModel(config.genome());
        TrialRunner.Options options = TrialRunner.Options.defaults(threads, config.optimizer().seed());
        TrialRunner first = TrialRunner.prepare(models, tokenizerRef, selected, data, config.limit().orElse(null),
                config.numFewshot().orElse(null), null, options, warnings);
        long bytes;
        try (MergeSession s = MergeSession.borrowing(genome.decode(largest), models, warnings)) {
            bytes = s.plan().outputBytes();
        } catch (RuntimeException e) {
            first.close();
            throw e;
        }
        return new TrialFitness(models, first, models.open(tokenizerRef).folder().resolve("tokenizer.json"), objectives, recorder,
                config.optimizer().seed(), options, warnings, bytes);
    }

    private interface Check {
        Object run() throws IOException;
    }

    /** Runs {@code check}; its one-line error, or an unreadable task file, is reported at the task's line. */
    private static void at(SearchConfig config, SearchConfig.Objective o, Check check) {
        try {
            check.run();
        } catch (MergeLabException e) {
            throw MergeLabException.input(config.source() + ":" + o.line() + ": " + e.getMessage(), e.hint());
        } catch (IOException e) {
            throw MergeLabException.input(config.source() + ":" + o.line() + ": cannot read task " + o.name() + ": " + e.getMessage(), null);
        }
    }

    /** The model whose tokenizer every candidate reads text with. */
    static String tokenizerModel(SearchConfig.GenomeSpec g) {
        if (g.tokenizerSource().isPresent() && !g.tokenizerSource().get().equals("base")) {
            return g.tokenizerSource().get();
        }
        if (g instanceof SearchConfig.MergeGenomeSpec m && m.baseModel().isPresent()) {
            return m.baseModel().get();
        }
        return g.models().getFirst();
    }

    public Objectives objectives() {
        return objectives;
    }

    /** Bytes of the largest child the genome decodes to. */
    public long childBytes() {
        return childBytes;
    }

    /**
     * A child kept on the heap and its forward pass's working set: twice its size. A child above the runner's heap
     * share is spilled to scratch: then one candidate at a time, with every thread.
     */
    @Override
    public long bytesPerCandidate() {
        return childBytes > base.heapShare() ? Long.MAX_VALUE : 2 * childBytes;
    }

    @Override
    public Trial evaluate(Recipe recipe, int threads) {
        TrialRunner runner = acquire(threads);
        try {
            TrialResult r = runner.run(recipe, "candidate", done -> { });
            double[] values = objectives.values(r.results());
            String id = null;
            if (recorder != null) {
                synchronized (recorder) {
                    id = recorder.record(r, seed, tasks).id();
                }
            }
            return new Trial(values, id, r.mergeSeconds(), r.evalSeconds());
        } finally {
            release(threads, runner);
        }
    }

    private TrialRunner acquire(int threads) {
        synchronized (idle) {
            Deque<TrialRunner> q = idle.get(threads);
            if (q != null && !q.isEmpty()) {
                return q.pop();
            }
            TrialRunner r = new TrialRunner(models, tasks, tokenizerJson,
                    new TrialRunner.Options(threads, base.seed(), base.heapShare(), base.scratchDir()), warnings);
            all.add(r);
            return r;
        }
    }

    private void release(int threads, TrialRunner runner) {
        synchronized (idle) {
            idle.computeIfAbsent(threads, k -> new ArrayDeque<>()).push(runner);
        }
    }

    @Override
    public void close() {
        synchronized (idle) {
            all.forEach(TrialRunner::close);
            all.clear();
            idle.clear();
        }
    }
}
