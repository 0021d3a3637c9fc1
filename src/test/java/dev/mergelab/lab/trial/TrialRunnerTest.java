package dev.mergelab.lab.trial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import dev.mergelab.eval.TaskSelection;
import dev.mergelab.model.ModelSource;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trials over shared parents: opened once, scored on tasks prepared once, the same scores whether spilled or not. */
class TrialRunnerTest {

    static final String TINY = "src/test/resources/eval/tiny";

    @TempDir
    Path dir;

    static Recipe linear(double w1, double w2) {
        return Recipe.parse("merge_method: linear\nmodels:\n  - model: " + TINY + "\n    parameters:\n      weight: " + w1
                + "\n  - model: " + TINY + "\n    parameters:\n      weight: " + w2 + "\ndtype: bfloat16\n", "trial.yml");
    }

    /** A lopsided self-merge whose weights do not normalise: scale the model, so scores move. */
    static Recipe scaled(double w) {
        return Recipe.parse("merge_method: linear\nmodels:\n  - model: " + TINY + "\n    parameters:\n      weight: " + w
                + "\nparameters:\n  normalize: false\ndtype: bfloat16\n", "scaled.yml");
    }

    private Path text() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "the cat sat on the mat. the dog sat on the log.\n".repeat(4));
        return text;
    }

    @Test
    void parentsAreOpenedOnceAndOutliveEveryTrial() throws IOException {
        List<String> opened = new ArrayList<>();
        List<ModelSource> sources = new ArrayList<>();
        SharedModels shared = new SharedModels(ref -> {
            opened.add(ref);
            ModelSource m = ModelSource.open(Path.of(ref), ref);
            sources.add(m);
            return m;
        });
        List<TaskSelection.Selected> tasks = TaskSelection.selectAll(List.of("ppl:" + text()), Map.of());
        try (shared; TrialRunner runner = TrialRunner.prepare(shared, TINY, tasks, Map.of(), null, null, null,
                TrialRunner.Options.defaults(2, 0), w -> { })) {
            TrialResult a = runner.run(linear(0.5, 0.5));
            TrialResult b = runner.run(scaled(0.8));
            TrialResult c = runner.run(linear(0.5, 0.5));
            assertEquals(List.of(TINY), opened, "one open for every trial");
            assertEquals(1, shared.opened());
            assertSame(sources.getFirst(), shared.open(TINY));
            String key = "ppl_notes";
            assertEquals(a.value(key, "bits_per_byte,none"), c.value(key, "bits_per_byte,none"));
            assertNotEquals(a.value(key, "bits_per_byte,none"), b.value(key, "bits_per_byte,none"));
            assertTrue(a.mergeSeconds() > 0 && a.evalSeconds() > 0);
            // the parent is still readable after three sessions closed
            assertTrue(sources.getFirst().tensors().size() > 0);
            var ref = sources.getFirst().tensors().values().iterator().next();
            ref.decodeInto(new float[(int) ref.info().numel()]);
        }
        assertThrows(IllegalStateException.class, () -> shared.open(TINY));
    }

    @Test
    void aSpilledChildScoresExactlyAsOneOnTheHeap() throws IOException {
        List<TaskSelection.Selected> tasks = TaskSelection.selectAll(List.of("arc_easy", "ppl:" + text()),
                Map.of("arc_easy", Path.of("src/test/resources/eval/arc")));
        try (SharedModels shared = new SharedModels(ref -> ModelSource.open(Path.of(ref), ref));
             TrialRunner heap = TrialRunner.prepare(shared, TINY, tasks, Map.of("arc_easy", Path.of("src/test/resources/eval/arc")),
                     2, 1, null, TrialRunner.Options.defaults(2, 0), w -> { });
             TrialRunner spill = new TrialRunner(shared, heap.tasks(), Path.of(TINY, "tokenizer.json"),
                     new TrialRunner.Options(2, 0, 0, dir), w -> { })) {
            TrialResult h = heap.run(linear(0.3, 0.7));
            TrialResult s = spill.run(linear(0.3, 0.7));
            assertFalse(h.spilled());
            assertTrue(s.spilled());
            assertEquals(h.results(), s.results());
        }
    }

    @Test
    void aCandidateWithAnotherTokenizerIsRefused() throws IOException {
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer_config.json")) {
            Files.copy(Path.of(TINY, f), other.resolve(f));
        }
        Files.writeString(other.resolve("tokenizer.json"), Files.readString(Path.of(TINY, "tokenizer.json")).replace("\"<s>\"", "\"<S>\""));
        List<TaskSelection.Selected> tasks = TaskSelection.selectAll(List.of("ppl:" + text()), Map.of());
        try (SharedModels shared = new SharedModels(ref -> ModelSource.open(Path.of(ref), ref));
             TrialRunner runner = TrialRunner.prepare(shared, TINY, tasks, Map.of(), null, null, null,
                     TrialRunner.Options.defaults(1, 0), w -> { })) {
            Recipe r = Recipe.parse("merge_method: linear\nmodels:\n  - model: " + other + "\n    parameters:\n      weight: 1\n", "o.yml");
            MergeLabException e = assertThrows(MergeLabException.class, () -> runner.run(r));
            assertTrue(e.getMessage().contains("differs from the one the tasks were prepared with"), e.getMessage());
        }
    }
}
