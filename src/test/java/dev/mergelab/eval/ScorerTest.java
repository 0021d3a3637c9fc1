package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.ModelSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scorer against log-probabilities computed here from one plain forward pass per request. */
class ScorerTest {

    private static ModelSource source;
    private static Workers workers;
    private static TransformerModel model;

    @BeforeAll
    static void open() {
        source = ModelSource.open(RequestEncoderTest.TINY, "tiny");
        workers = new Workers(2);
        model = TransformerModel.load(source, workers);
    }

    @AfterAll
    static void close() {
        workers.close();
        source.close();
    }

    /** lm-eval's arithmetic on one unshared pass over (ctx + cont)[-(max+1):][:-1]. */
    private static Score expected(int[] ctx, int[] cont, int max) {
        int[] all = new int[ctx.length + cont.length];
        System.arraycopy(ctx, 0, all, 0, ctx.length);
        System.arraycopy(cont, 0, all, ctx.length, cont.length);
        int[] input = Arrays.copyOfRange(all, Math.max(0, all.length - (max + 1)), all.length - 1);
        float[] logits = model.newSession().forward(input);
        int v = model.description().vocab();
        double sum = 0;
        boolean greedy = true;
        for (int t = 0; t < cont.length; t++) {
            int row = input.length - cont.length + t;
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < v; i++) {
                m = Math.max(m, logits[row * v + i]);
            }
            double z = 0;
            int best = 0;
            for (int i = 0; i < v; i++) {
                z += Math.exp(logits[row * v + i] - m);
                if (logits[row * v + i] > logits[row * v + best]) {
                    best = i;
                }
            }
            sum += logits[row * v + cont[t]] - m - Math.log(z);
            greedy &= best == cont[t];
        }
        return new Score(sum, greedy);
    }

    @Test
    void sharedPrefillGivesExactlyTheUnsharedScores() {
        int[] ctx = {1, 47, 25, 9, 23, 24, 13, 90, 69, 81, 4, 7, 93};
        List<TokenRequest> reqs = List.of(new TokenRequest(ctx, new int[] {81, 4, 17, 93}), new TokenRequest(ctx, new int[] {83}),
                new TokenRequest(ctx, new int[] {94, 93, 4, 90, 81}), new TokenRequest(new int[] {1, 24}, new int[] {80, 4}));
        List<Integer> order = new ArrayList<>();
        Score[] got = new Scorer(model, 64, w -> { }).score(reqs, order::add);
        assertEquals(4, order.size());
        for (int i = 0; i < reqs.size(); i++) {
            Score want = expected(reqs.get(i).context(), reqs.get(i).continuation(), 64);
            // bit-equal: the KV cache after a rewind holds what one pass over context+continuation computes
            assertEquals(want.logprob(), got[i].logprob(), 0.0, "request " + i);
            assertEquals(want.greedy(), got[i].greedy());
            assertTrue(got[i].logprob() < 0);
        }
    }

    @Test
    void rewindThenForwardEqualsOnePass() {
        int[] all = {1, 47, 25, 9, 23, 24, 13, 90};
        float[] whole = model.newSession().forward(all);
        Session s = model.newSession();
        s.forward(new int[] {1, 47, 25, 9});
        s.forward(new int[] {5, 6});
        s.rewind(4);
        float[] rest = s.forward(new int[] {23, 24, 13, 90});
        int v = model.description().vocab();
        for (int i = 0; i < rest.length; i++) {
            assertEquals(whole[4 * v + i], rest[i], 0.0f);
        }
    }

    @Test
    void chunkedLongPassesGiveTheSameScores() {
        int[] ctx = new int[40];
        for (int i = 0; i < ctx.length; i++) {
            ctx[i] = 4 + (i * 7) % 90;
        }
        int[] cont = {81, 4, 17, 93, 67, 3, 89};
        Score one = new Scorer(model, 64, w -> { }, 1000).score(List.of(new TokenRequest(ctx, cont)), i -> { })[0];
        Score chunked = new Scorer(model, 64, w -> { }, 5).score(List.of(new TokenRequest(ctx, cont)), i -> { })[0];
        assertEquals(one.logprob(), chunked.logprob(), 0.0);
        assertEquals(expected(ctx, cont, 64).logprob(), one.logprob(), 0.0);
    }

    @Test
    void lastRowsAreTheSameNumbersAsTheFullLogits() {
        int[] all = {1, 47, 25, 9, 23, 24, 13, 90, 69, 81};
        float[] whole = model.newSession().forward(all);
        float[] last3 = model.newSession().forward(all, 3);
        int v = model.description().vocab();
        assertEquals(3 * v, last3.length);
        for (int i = 0; i < last3.length; i++) {
            assertEquals(whole[7 * v + i], last3[i], 0.0f);
        }
    }

    @Test
    void longRequestsAreLeftTruncatedWithAWarning() {
        int[] ctx = new int[70];
        for (int i = 0; i < ctx.length; i++) {
            ctx[i] = 4 + i % 80;
        }
        int[] cont = {81, 4};
        List<String> warnings = new ArrayList<>();
        Score got = new Scorer(model, 16, warnings::add).score(List.of(new TokenRequest(ctx, cont)), i -> { })[0];
        assertEquals(expected(ctx, cont, 16).logprob(), got.logprob(), 0.0);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("truncating 55 tokens from the left"), warnings.get(0));
    }
}
