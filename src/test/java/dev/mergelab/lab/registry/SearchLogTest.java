package dev.mergelab.lab.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The searches / search_evals DAO round-trips, in step order, and survives reopening the lab. */
class SearchLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static SearchLog.Eval eval(int step, double fitness) throws Exception {
        return new SearchLog.Eval("s1", step, step / 2, JSON.readTree("[1, 0, " + step + "]"), "merge_method: linear\n", null,
                JSON.readTree("[" + fitness + "]"), fitness, 0.25 * step, 1.5, null);
    }

    @Test
    void createAppendListFinish() throws Exception {
        Path lab = dir.resolve("lab");
        JsonNode config = JSON.readTree("{\"mode\": \"greedy\"}");
        JsonNode objectives = JSON.readTree("[{\"task\": \"arc_easy\", \"metric\": \"acc,none\", \"weight\": 1.0}]");
        try (Registry r = Registry.init(lab)) {
            SearchLog log = r.searchLog();
            SearchLog.Search s = log.createOrFind("s1", "soup", config, objectives, 42, dir.resolve("out"));
            assertEquals("soup", s.kind());
            assertEquals(config, s.config());
            assertEquals(objectives, s.objectives());
            assertEquals(42, s.seed());
            assertEquals(dir.resolve("out").toAbsolutePath(), s.outPath());
            assertNull(s.finishedAt());
            assertTrue(log.append(eval(2, 0.5)));
            assertTrue(log.append(eval(0, 0.25)));
            assertTrue(log.append(eval(1, 0.75)));
            assertFalse(log.append(eval(1, 0.0)), "a recorded step is not recorded again");
        }
        try (Registry r = Registry.open(lab, 1000)) {
            SearchLog log = r.searchLog();
            SearchLog.Search again = log.createOrFind("s1", "soup", JSON.readTree("{\"mode\": \"other\"}"), objectives, 1, dir);
            assertEquals(config, again.config(), "found, not replaced");
            assertEquals(42, again.seed());
            List<SearchLog.Eval> evals = log.evals("s1");
            assertEquals(List.of(0, 1, 2), evals.stream().map(SearchLog.Eval::step).toList());
            SearchLog.Eval one = evals.get(1);
            assertEquals(0.75, one.fitness());
            assertEquals(JSON.readTree("[0.75]"), one.objectives());
            assertEquals(JSON.readTree("[1, 0, 1]"), one.genotype());
            assertEquals(0, one.generation());
            assertEquals(0.25, one.mergeSeconds());
            assertEquals(1.5, one.evalSeconds());
            assertEquals("merge_method: linear\n", one.recipe());
            assertNull(one.candidate());
            assertNotNull(one.recordedAt());
            log.finish("s1", null);
            SearchLog.Search done = log.find("s1").orElseThrow();
            assertNotNull(done.finishedAt());
            assertNull(done.best());
            assertEquals(1, log.all().size());
            assertTrue(log.evals("other").isEmpty());
        }
    }
}
