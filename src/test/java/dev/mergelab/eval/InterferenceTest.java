package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InterferenceTest {

    @Test
    void scoresAreRelativeToTheBestParentWhicheverWayIsBetter() {
        List<Map<String, Map<String, Object>>> perModel = List.of(
                Map.of("arc", Map.of("acc,none", 0.5, "acc_stderr,none", 0.1), "wiki", Map.of("word_perplexity,none", 20.0)),
                Map.of("arc", Map.of("acc,none", 0.4, "acc_stderr,none", 0.1), "wiki", Map.of("word_perplexity,none", 10.0)),
                Map.of("arc", Map.of("acc,none", 0.6, "acc_stderr,none", 0.1), "wiki", Map.of("word_perplexity,none", 8.0)),
                Map.of("wiki", Map.of("word_perplexity,none", 5.0)));
        List<Interference.Row> rows = Interference.build(perModel, List.of(true, true, false, false));
        Interference.Row arc = rows.stream().filter(r -> r.task().equals("arc")).findFirst().orElseThrow();
        assertEquals("acc", arc.metric());
        assertEquals(Arrays.asList(1.0, 0.8, 1.2, null), arc.normalised().stream().map(v -> v == null ? null : Math.round(v * 1e12) / 1e12).toList());
        assertNull(arc.scores().get(3));
        Interference.Row wiki = rows.stream().filter(r -> r.task().equals("wiki")).findFirst().orElseThrow();
        // lower is better: the best parent has 10; a child at 8 is 1.25 times better, at 5 twice
        assertEquals(List.of(0.5, 1.0, 1.25, 2.0), wiki.normalised());
    }
}
