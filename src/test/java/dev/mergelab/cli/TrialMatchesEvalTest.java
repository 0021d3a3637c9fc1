package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.eval.TaskSelection;
import dev.mergelab.lab.trial.SharedModels;
import dev.mergelab.lab.trial.TrialResult;
import dev.mergelab.lab.trial.TrialRunner;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A recipe evaluated as a trial gives exactly what {@code mergelab eval RECIPE.yml} writes to results.json. */
class TrialMatchesEvalTest {

    @TempDir
    Path dir;

    @Test
    void aTrialIsEvalOfItsRecipe() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "the cat sat on the mat. the dog sat on the log.\n".repeat(4));
        Path recipe = dir.resolve("r.yml");
        Files.writeString(recipe, """
                merge_method: linear
                models:
                  - model: src/test/resources/eval/tiny
                    parameters:
                      weight: 0.7
                  - model: src/test/resources/eval/tiny
                    parameters:
                      weight: 0.2
                parameters:
                  normalize: false
                dtype: bfloat16
                """);
        String arc = "src/test/resources/eval/arc";
        InProcessCli.Run r = cli("eval", recipe.toString(), "--tasks", "arc_easy,ppl:" + text, "--data", "arc_easy=" + arc,
                "--num-fewshot", "1", "--limit", "2", "--output", dir.resolve("out").toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("out/results.json").toFile());

        Map<String, Path> data = TaskSelection.parseData(List.of("arc_easy=" + arc));
        List<TaskSelection.Selected> tasks = TaskSelection.selectAll(List.of("arc_easy", "ppl:" + text), data);
        try (SharedModels shared = new SharedModels(Models.opener(w -> { }));
             TrialRunner runner = TrialRunner.prepare(shared, "src/test/resources/eval/tiny", tasks, data, 2, 1, null,
                     TrialRunner.Options.defaults(2, 0), w -> { })) {
            TrialResult t = runner.run(Recipe.parse(recipe), recipe.toString(), done -> { });
            // through results.json's bytes, as eval wrote them
            JsonNode actual = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(t.results()));
            assertEquals(expected, actual);
        }
    }
}
