package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.tensor.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Outliers (≥ 4× the median size) start first, largest first; the rest keep file order. */
class StartOrderTest {

    private static TensorJob job(String name, long rows, long cols) {
        return new TensorJob(name, "linear", List.of(), Map.of(), new long[] {rows, cols}, DType.BF16, false, -1, false);
    }

    private static List<String> names(List<TensorJob> jobs) {
        return jobs.stream().map(TensorJob::outputName).toList();
    }

    @Test
    void llamaShapedPlanStartsEmbeddingAndHeadFirst() {
        List<TensorJob> plan = List.of(
                job("embed", 32000, 2048), job("norm0", 1, 2048), job("down0", 2048, 5632), job("q0", 2048, 2048),
                job("k0", 256, 2048), job("norm1", 1, 2048), job("down1", 2048, 5632), job("q1", 2048, 2048),
                job("k1", 256, 2048), job("norm", 1, 2048), job("lm_head", 32000, 2048));
        // median 2048·2048: embed and lm_head (15.6×) are outliers, down (2.75×) is not; equal sizes keep file order.
        assertEquals(List.of("embed", "lm_head", "norm0", "down0", "q0", "k0", "norm1", "down1", "q1", "k1", "norm"),
                names(StartOrder.of(plan)));
    }

    @Test
    void uniformPlanKeepsFileOrder() {
        List<TensorJob> plan = List.of(job("a", 10, 10), job("b", 12, 10), job("c", 10, 10), job("d", 30, 10));
        assertEquals(List.of("a", "b", "c", "d"), names(StartOrder.of(plan)));
    }

    @Test
    void largestOutlierFirst() {
        List<TensorJob> plan = List.of(job("s1", 1, 10), job("big", 100, 10), job("s2", 1, 10), job("bigger", 200, 10), job("s3", 1, 10));
        assertEquals(List.of("bigger", "big", "s1", "s2", "s3"), names(StartOrder.of(plan)));
    }
}
