package dev.mergelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mergelab bench infer} through the real CLI on a tiny fixture. */
class BenchInferCommandTest {

    private static final String LLAMA = "src/test/resources/infer/llama";

    @Test
    void printsPromptAndGenerationRatesAsJson() throws Exception {
        LogitsCommandTest.Run r = LogitsCommandTest.run("bench", "infer", LLAMA, "-p", "24", "-n", "5", "-r", "2",
                "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertEquals(24, o.get("prompt_tokens").asInt());
        assertEquals(5, o.get("gen_tokens").asInt());
        assertEquals(2, o.get("pp_seconds").size());
        assertEquals(2, o.get("tg_seconds").size());
        double bestPp = Math.min(o.get("pp_seconds").get(0).asDouble(), o.get("pp_seconds").get(1).asDouble());
        assertEquals(24 / bestPp, o.get("pp_tokens_per_s").asDouble(), 1e-9 * o.get("pp_tokens_per_s").asDouble());
        assertTrue(o.get("tg_tokens_per_s").asDouble() > 0);
        assertTrue(o.get("tg_tokens_per_s").asDouble() >= o.get("tg_median_tokens_per_s").asDouble());
        // llama fixture: 2 layers of q,k,v,o,gate,up,down (64x64, k and v 32x64) and a 96x64 head, BF16
        assertEquals(2L * (5 * 64 * 64 + 2 * 32 * 64) * 2 + 96 * 64 * 2, o.get("matrix_bytes").asLong());
        assertEquals("BF16", o.get("dtype").asText());
        // process CPU time per run: present and never negative. Neither bound is tight on a run of milliseconds: the
        // clock ticks in 10 ms steps (0 is a valid reading) and the JIT's and collector's threads count too.
        for (String test : new String[]{"pp", "tg"}) {
            assertEquals(2, o.get(test + "_cpu_seconds").size());
            for (int i = 0; i < 2; i++) {
                double cpu = o.get(test + "_cpu_seconds").get(i).asDouble();
                assertTrue(cpu >= 0 && Double.isFinite(cpu), test + " cpu " + cpu + " s");
            }
        }
    }

    @Test
    void nothingToMeasureIsOneLineAndExitTwo() {
        LogitsCommandTest.Run r = LogitsCommandTest.run("bench", "infer", LLAMA, "-p", "0", "-n", "0");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
