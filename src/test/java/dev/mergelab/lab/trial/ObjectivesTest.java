package dev.mergelab.lab.trial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.eval.TaskSelection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Objectives: primary metrics, mergekit-evolve's weighted sum, checks against the selected tasks. */
class ObjectivesTest {

    @TempDir
    Path dir;

    @Test
    void fitnessIsTheWeightedSumAndPerplexityIsMinimised() throws IOException {
        Path text = dir.resolve("a b.txt");
        Files.writeString(text, "some text\n");
        List<TaskSelection.Selected> selected = TaskSelection.selectAll(List.of("arc_easy", "ppl:" + text), Map.of());
        Objective arc = Objectives.primary("arc_easy", selected.get(0));
        Objective ppl = Objectives.primary("ppl:" + text, selected.get(1));
        assertEquals(new Objective("arc_easy", "acc,none", 1), arc);
        assertEquals(new Objective("ppl:" + text, "bits_per_byte,none", -1), ppl);
        Objectives o = Objectives.resolve(List.of(arc, ppl, new Objective("arc_easy", "acc_norm", 0.5)), selected);
        assertEquals(List.of("arc_easy", "ppl_a_b", "arc_easy"), o.keys());
        JsonNode results = new ObjectMapper().readTree("""
                {"results": {"arc_easy": {"acc,none": 0.5, "acc_norm,none": 0.25}, "ppl_a_b": {"bits_per_byte,none": 2.0}}}""");
        assertEquals(0.5 - 2.0 + 0.125, o.fitness(results), 0);
        assertEquals("[{\"task\":\"arc_easy\",\"metric\":\"acc,none\",\"weight\":1.0},{\"task\":\"ppl:" + text
                + "\",\"metric\":\"bits_per_byte,none\",\"weight\":-1.0},{\"task\":\"arc_easy\",\"metric\":\"acc_norm,none\",\"weight\":0.5}]",
                o.toJson().toString());
    }

    @Test
    void anObjectiveOutsideTheTasksIsOneLine() throws IOException {
        List<TaskSelection.Selected> selected = TaskSelection.selectAll(List.of("arc_easy"), Map.of());
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> Objectives.resolve(List.of(new Objective("piqa", "acc,none", 1)), selected));
        assertTrue(e.getMessage().contains("not among the evaluated tasks (arc_easy)"), e.getMessage());
        e = assertThrows(MergeLabException.class,
                () -> Objectives.resolve(List.of(new Objective("arc_easy", "bits_per_byte,none", 1)), selected));
        assertTrue(e.getMessage().contains("it reports acc,none, acc_norm,none"), e.getMessage());
    }
}
