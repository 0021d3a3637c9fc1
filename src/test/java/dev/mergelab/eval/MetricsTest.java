package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Expected values from Python one-liners over lm-eval's formulas (api/metrics.py), CPython 3.11.7 and numpy. */
class MetricsTest {

    private static final double[] XS = {-1.5, -0.25, -3.0, -2.2, -0.9};

    @Test
    void meanStderrIsSampleStddevOverRootN() {
        assertEquals(0.4815599651133802, Metrics.meanStderr(XS), 1e-15);
    }

    @Test
    void perplexityBootstrapReplaysPythonsDraws() {
        // res=[]; for i in range(2): r=random.Random(i); res += [ppl(r.choices(xs,k=5)) for _ in range(1000)]; sample_stddev(res)
        assertEquals(2.4067413101889645, Metrics.bootstrapPerplexityStderr(XS, 2000), 1e-12);
    }

    @Test
    void weightedPerplexityAndBitsPerByte() {
        double[] lls = {-10.0, -20.5, -7.25};
        double[] w = {3, 5, 2};
        assertEquals(43.59750831572349, Metrics.weightedPerplexity(lls, w), 1e-12);
        assertEquals(5.446173779355837, Metrics.bitsPerByte(lls, w), 1e-13);
    }

    @Test
    void groupAggregationWeighsBySizeAndPoolsStderr() {
        assertEquals(0.42857142857142855, Metrics.aggregateSubtasks(List.of(0.5, 0.25, 1.0), List.of(10, 20, 5), true), 1e-16);
        assertEquals(0.12008181734610306, Metrics.pooledSampleStderr(List.of(0.1, 0.2, 0.05), List.of(10, 20, 5)), 1e-15);
    }
}
