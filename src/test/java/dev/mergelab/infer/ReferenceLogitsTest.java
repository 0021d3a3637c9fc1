package dev.mergelab.infer;

import dev.mergelab.model.ModelSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every supported family against its float64 torch reference: a whole-sequence prefill within
 * 2e-5 * max(1, max|logit|), the same logits token by token through the KV cache, and bit-identical
 * results on one thread and on three.
 */
class ReferenceLogitsTest {

    static final List<String> CASES = InferFixtures.CASES;

    private static Workers one;
    private static Workers three;

    @BeforeAll
    static void start() {
        one = new Workers(1);
        three = new Workers(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        three.close();
    }

    @ParameterizedTest
    @FieldSource("CASES")
    void prefillMatchesTheFloat64Reference(String name) throws Exception {
        int[][] ids = InferFixtures.ids(name);
        List<double[]> expected = InferFixtures.expected(name);
        assertEquals(ids.length, expected.size());
        try (ModelSource src = ModelSource.open(InferFixtures.ROOT.resolve(name), name)) {
            TransformerModel model = TransformerModel.load(src, three);
            for (int s = 0; s < ids.length; s++) {
                float[] got = model.newSession().forward(ids[s]);
                assertEquals(expected.get(s).length, got.length);
                double worst = InferFixtures.worstRatio(got, expected.get(s));
                assertTrue(worst <= 1, name + " sequence " + s + ": worst error is " + worst + "x the tolerance");
            }
        }
    }

    @ParameterizedTest
    @FieldSource("CASES")
    void decodingTokenByTokenMatchesTheReference(String name) throws Exception {
        // Dynamic NTK and LongRoPE re-derive frequencies from the length so far, and Transformers keeps the keys
        // already cached as they were rotated: token-by-token decoding legitimately differs from one prefill.
        if (name.equals("llama-dynamic") || name.equals("llama-longrope") || name.equals("phi3")) {
            return;
        }
        int[][] ids = InferFixtures.ids(name);
        List<double[]> expected = InferFixtures.expected(name);
        try (ModelSource src = ModelSource.open(InferFixtures.ROOT.resolve(name), name)) {
            TransformerModel model = TransformerModel.load(src, three);
            int[] seq = ids[0];
            Session session = model.newSession();
            int vocab = model.description().vocab();
            // a prefill of the first two tokens, then one token at a time
            float[] got = new float[seq.length * vocab];
            float[] head = session.forward(Arrays.copyOf(seq, Math.min(2, seq.length)));
            System.arraycopy(head, 0, got, 0, head.length);
            for (int t = 2; t < seq.length; t++) {
                float[] step = session.forward(new int[]{seq[t]});
                System.arraycopy(step, 0, got, t * vocab, vocab);
            }
            assertEquals(seq.length, session.length());
            double worst = InferFixtures.worstRatio(got, expected.get(0));
            assertTrue(worst <= 1, name + ": worst error is " + worst + "x the tolerance");
        }
    }

    @ParameterizedTest
    @FieldSource("CASES")
    void logitsDoNotDependOnTheThreadCount(String name) throws Exception {
        int[] seq = InferFixtures.ids(name)[0];
        try (ModelSource src = ModelSource.open(InferFixtures.ROOT.resolve(name), name)) {
            float[] a = TransformerModel.load(src, one).newSession().forward(seq);
            float[] b = TransformerModel.load(src, three).newSession().forward(seq);
            assertArrayEquals(a, b);
        }
    }

    @ParameterizedTest
    @FieldSource("CASES")
    void lastTokenLogitsAreTheLastRowOfTheFullForward(String name) throws Exception {
        int[] seq = InferFixtures.ids(name)[0];
        try (ModelSource src = ModelSource.open(InferFixtures.ROOT.resolve(name), name)) {
            TransformerModel model = TransformerModel.load(src, three);
            int vocab = model.description().vocab();
            float[] all = model.newSession().forward(seq);
            Session s = model.newSession();
            float[] last = s.forwardLast(seq);
            assertArrayEquals(Arrays.copyOfRange(all, (seq.length - 1) * vocab, seq.length * vocab), last);
            assertEquals(seq.length, s.length());
        }
    }
}
