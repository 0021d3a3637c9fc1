package dev.mergelab.lab.trial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.eval.TaskSelection;
import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.Edge;
import dev.mergelab.lab.registry.ModelIdentity;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.Relation;
import dev.mergelab.lab.registry.StoredScore;
import dev.mergelab.model.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trials recorded as virtual candidates: one per distinct recipe, with merge edges and scores; gc keeps them. */
class TrialRecorderTest {

    @TempDir
    Path dir;

    @Test
    void theSameRecipeIsOneVirtualCandidate() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "the cat sat on the mat.\n".repeat(3));
        List<TaskSelection.Selected> tasks = TaskSelection.selectAll(List.of("ppl:" + text), Map.of());
        try (Registry registry = Registry.init(dir.resolve("lab"));
             SharedModels shared = new SharedModels(ref -> ModelSource.open(Path.of(ref), ref));
             TrialRunner runner = TrialRunner.prepare(shared, TrialRunnerTest.TINY, tasks, Map.of(), null, null, null,
                     TrialRunner.Options.defaults(2, 0), w -> { })) {
            TrialRecorder recorder = new TrialRecorder(registry, "soup");
            TrialResult a = runner.run(TrialRunnerTest.linear(0.5, 0.5));
            Registry.Recorded first = recorder.record(a, 0, runner.tasks());
            Registry.Recorded again = recorder.record(runner.run(TrialRunnerTest.linear(0.5, 0.5)), 0, runner.tasks());
            assertTrue(first.newCandidate());
            assertFalse(again.newCandidate());
            assertEquals(first.id(), again.id());
            Registry.Recorded other = recorder.record(runner.run(TrialRunnerTest.scaled(0.9)), 0, runner.tasks());
            Registry.Recorded seeded = recorder.record(a, 7, runner.tasks());
            assertNotEquals(first.id(), other.id());
            assertNotEquals(first.id(), seeded.id(), "the seed is part of a virtual child's identity");

            String parent = ModelIdentity.of(Path.of(TrialRunnerTest.TINY)).id();
            assertEquals(4, registry.candidates().size(), "the parent and three virtual children, no duplicate");
            Candidate c = registry.candidate(first.id()).orElseThrow();
            assertEquals(ModelIdentity.VIRTUAL, c.kind());
            assertTrue(c.isVirtual());
            assertTrue(c.files().isEmpty());
            assertEquals("(in memory)", c.where());
            assertEquals("BF16", c.dtype());
            assertEquals("LlamaForCausalLM", c.architecture());
            assertEquals(1, registry.runs(first.id()).size());
            assertEquals("soup", registry.runs(first.id()).getFirst().command());
            List<Edge> edges = registry.parentsOf(first.id());
            assertEquals(1, edges.size(), "one parent named twice is one edge");
            assertEquals(parent, edges.getFirst().parent());
            assertEquals(Relation.MERGE, edges.getFirst().relation());
            assertEquals("linear", edges.getFirst().method());
            List<StoredScore> scores = registry.scores(first.id());
            assertTrue(scores.stream().anyMatch(s -> s.score().metric().equals("bits_per_byte,none")
                    && s.score().value() == a.value("ppl_notes", "bits_per_byte,none")
                    && runner.tasks().dataHashes().get("ppl_notes").equals(s.score().dataSha256())));

            // gc: virtual children have no files to lose, and keep their parent
            Registry.Collected gc = registry.gc();
            assertTrue(gc.forgotten().isEmpty(), gc.toString());
            assertEquals(4, registry.candidates().size());
        }
    }
}
