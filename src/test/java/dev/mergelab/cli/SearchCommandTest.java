package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.registry.SearchLog;
import dev.mergelab.recipe.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mergelab search} end to end on the tiny family: a few evaluations, recorded in a lab, resumed, written. */
class SearchCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path family;
    static Path notes;
    static Path other;

    @BeforeAll
    static void family() throws IOException {
        family = TinyFamily.make(dir.resolve("family"));
        notes = dir.resolve("notes.txt");
        Files.writeString(notes, "the cat sat on the mat. the dog sat on the log. a bird sang in the tree.\n".repeat(3));
        other = dir.resolve("other.txt");
        Files.writeString(other, "numbers: one two three four five six seven eight nine ten.\n".repeat(3));
    }

    private static Path config(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text.replace("FAMILY", family.toString()).replace("NOTES", notes.toString()).replace("OTHER", other.toString()));
        return p;
    }

    private static Path lab(String name) {
        Path lab = dir.resolve(name);
        assertEquals(0, cli("lab", "init", lab.toString()).code());
        return lab;
    }

    private static final String TIES = """
            genome:
              models: [FAMILY/ft1, FAMILY/ft2]
              merge_method: ties
              base_model: FAMILY/base
            tasks:
              - name: ppl:NOTES
                weight: -1
                metric: bits_per_byte,none
            optimizer:
              population_size: 4
            """;

    @Test
    void searchesRecordsResumesAndWritesTheBest() throws IOException {
        Path cfg = config("ties.yml", TIES);
        Path lab = lab("lab1");
        Path out = dir.resolve("out1");
        InProcessCli.Run r = cli("search", cfg.toString(), out.toString(), "--max-evals", "5", "--seed", "3", "--lab", lab.toString(),
                "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode s = JSON.readTree(r.out());
        assertEquals(5, s.get("evaluations").asInt());
        assertEquals(0, s.get("replayed").asInt());
        assertEquals("evaluation budget of 5 spent", s.get("stopped").asText());
        assertTrue(r.err().contains("search: generation 1  best "), r.err());
        String id = s.get("search").asText();

        // every evaluation is in the lab, each child a virtual candidate
        try (Registry reg = Registry.open(lab, 1000)) {
            List<SearchLog.Eval> evals = reg.searchLog().evals(id);
            assertEquals(5, evals.size());
            assertEquals(s.get("best").get("candidate").asText(), reg.searchLog().find(id).orElseThrow().best());
            for (SearchLog.Eval e : evals) {
                assertEquals("virtual", reg.candidate(e.candidate()).orElseThrow().kind());
            }
        }

        // best.yml is a plain recipe; best/ is that model, and scoring it gives the recorded value of the best child
        Recipe best = Recipe.parse(out.resolve("best.yml"));
        assertEquals("ties", best.mergeMethod().value());
        assertTrue(Files.isRegularFile(out.resolve("best/mergelab_manifest.json")));
        InProcessCli.Run ev = cli("eval", out.resolve("best").toString(), "--tasks", "ppl:" + notes, "--json");
        assertEquals(0, ev.code(), ev.err());
        double written = JSON.readTree(ev.out()).get("models").get(0).get("results").elements().next().get("bits_per_byte,none").asDouble();
        assertEquals(s.get("best").get("values").get(0).asDouble(), written);

        // started again with a larger budget: the 5 recorded steps come from the lab, 2 are new
        InProcessCli.Run again = cli("search", cfg.toString(), out.toString(), "--max-evals", "7", "--seed", "3", "--lab", lab.toString(),
                "--threads", "1", "--json", "--force");
        assertEquals(0, again.code(), again.err());
        JsonNode s2 = JSON.readTree(again.out());
        assertEquals(id, s2.get("search").asText());
        assertEquals(7, s2.get("evaluations").asInt());
        assertEquals(5, s2.get("replayed").asInt());
        assertTrue(s2.get("best").get("score").asDouble() >= s.get("best").get("score").asDouble());

        // the same 7 steps without a lab, in one go: the same sequence
        InProcessCli.Run fresh = cli("search", cfg.toString(), dir.resolve("out1b").toString(), "--max-evals", "7", "--seed", "3",
                "--threads", "2", "--json", "--lab", lab("lab1b").toString());
        assertEquals(0, fresh.code(), fresh.err());
        try (Registry a = Registry.open(lab, 1000); Registry b = Registry.open(dir.resolve("lab1b"), 1000)) {
            List<SearchLog.Eval> ea = a.searchLog().evals(id);
            List<SearchLog.Eval> eb = b.searchLog().evals(id);
            assertEquals(7, eb.size());
            for (int i = 0; i < 7; i++) {
                assertEquals(ea.get(i).genotype(), eb.get(i).genotype());
                assertEquals(ea.get(i).objectives(), eb.get(i).objectives());
                assertEquals(ea.get(i).candidate(), eb.get(i).candidate());
            }
        }
        assertEquals(Files.readString(out.resolve("best.yml")), Files.readString(dir.resolve("out1b/best.yml")));
    }

    @Test
    void severalTasksGiveAParetoFront() throws IOException {
        Path cfg = config("two.yml", """
                genome:
                  models: [FAMILY/ft1, FAMILY/ft2]
                  merge_method: linear
                tasks:
                  - name: ppl:NOTES
                    weight: -1
                    metric: bits_per_byte,none
                  - name: ppl:OTHER
                    weight: -1
                    metric: bits_per_byte,none
                optimizer:
                  population_size: 4
                  max_evals: 6
                """);
        Path out = dir.resolve("out2");
        InProcessCli.Run r = cli("search", cfg.toString(), out.toString(), "--threads", "2", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Pareto front: "), r.out());
        JsonNode pareto = JSON.readTree(out.resolve("pareto.json").toFile());
        assertEquals(2, pareto.get("objectives").size());
        assertTrue(pareto.get("front").size() >= 1);
        for (JsonNode m : pareto.get("front")) {
            Recipe.parse(out.resolve(m.get("recipe").asText()));
        }
        assertTrue(Files.isDirectory(out.resolve("best")));
    }

    @Test
    void layerPathSearchWritesAPassthroughRecipe() throws IOException {
        Path cfg = config("path.yml", """
                layer_path:
                  models: [FAMILY/ft1, FAMILY/ft2]
                  repeats: 2
                tasks:
                  - name: ppl:NOTES
                    weight: -1
                    metric: bits_per_byte,none
                optimizer:
                  max_evals: 3
                  sigma0: 0.5
                """);
        Path out = dir.resolve("out3");
        InProcessCli.Run r = cli("search", cfg.toString(), out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("8 genes"), r.err());
        assertEquals("passthrough", Recipe.parse(out.resolve("best.yml")).mergeMethod().value());
        assertTrue(Files.isRegularFile(out.resolve("best/config.json")));
    }

    @Test
    void badInputIsOneLineWithFileAndLine() throws IOException {
        Path cfg = config("bad.yml", TIES.replace("  base_model:", "  base_modle:"));
        InProcessCli.Run r = cli("search", cfg.toString(), dir.resolve("out4").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("mergelab: " + cfg + ":4: unknown key 'base_modle' in genome (did you mean 'base_model'?)"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(dir.resolve("out4")));

        Path metric = config("metric.yml", TIES.replace("bits_per_byte,none", "acc,none"));
        InProcessCli.Run m = cli("search", metric.toString(), dir.resolve("out5").toString());
        assertEquals(2, m.code());
        assertEquals(1, m.err().strip().lines().count(), m.err());
        assertTrue(m.err().startsWith("mergelab: " + metric + ":6: task ppl:" + notes + " has no metric acc,none"), m.err());

        Path task = config("task.yml", TIES.replace("name: ppl:NOTES", "name: arc_esy"));
        InProcessCli.Run t = cli("search", task.toString(), dir.resolve("out6").toString());
        assertEquals(2, t.code());
        assertEquals(1, t.err().strip().lines().count(), t.err());
        assertTrue(t.err().startsWith("mergelab: " + task + ":6: unknown task arc_esy"), t.err());
    }
}
