package dev.mergelab.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.ModelSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Greedy generation is the argmax continuation: each generated token equals the argmax of a fresh full-sequence
 * forward pass over everything before it, and the first one the argmax of the float64 torch reference
 * (scripts/infer-ref) at the prompt's last position. Reusing the KV cache changes nothing.
 */
class GeneratorTest {

    private static final Path INFER = Path.of("src/test/resources/infer");
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static Workers workers;

    @BeforeAll
    static void start() {
        workers = new Workers(2);
    }

    @AfterAll
    static void stop() {
        workers.close();
    }

    private static Generator.Options greedy(int n, Set<Integer> eos) {
        return new Generator.Options(n, Sampling.greedy(), eos, List.of());
    }

    private static int argmaxLastRow(float[] logits, int vocab) {
        return Sampler.argmax(Arrays.copyOfRange(logits, logits.length - vocab, logits.length));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma2", "mixtral", "phi3"})
    void greedyIsTheArgmaxOfAFreshForwardAtEveryStep(String name) throws IOException {
        int[] prompt = new ObjectMapper().readValue(INFER.resolve(name).resolve("ids.json").toFile(), int[][].class)[0];
        try (ModelSource src = ModelSource.open(INFER.resolve(name), name)) {
            TransformerModel m = TransformerModel.load(src, workers);
            int vocab = m.description().vocab();
            Generator.Result r = new Generator(m, GeneratorTest::text).generate(prompt, greedy(6, Set.of()), s -> { });
            assertEquals(6, r.generated().length);
            assertEquals(Generator.StopReason.MAX_TOKENS, r.stopReason());
            for (int i = 0; i < r.generated().length; i++) {
                int[] seq = Arrays.copyOf(prompt, prompt.length + i);
                System.arraycopy(r.generated(), 0, seq, prompt.length, i);
                Session fresh = m.newSession();
                assertEquals(argmaxLastRow(fresh.forward(seq), vocab), r.generated()[i], name + " step " + i);
            }
            double[] ref = referenceLastRow(name, vocab);
            int best = 0;
            for (int v = 1; v < vocab; v++) {
                best = ref[v] > ref[best] ? v : best;
            }
            double second = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                second = v == best ? second : Math.max(second, ref[v]);
            }
            if (ref[best] - second > 1e-3) {   // a near tie could go either way within the float32 tolerance
                assertEquals(best, r.generated()[0], name + ": the float64 reference's argmax");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2-window"})
    void aSecondTurnReusesTheCacheAndGeneratesWhatAFreshRunDoes(String name) throws IOException {
        int[] prompt = new ObjectMapper().readValue(INFER.resolve(name).resolve("ids.json").toFile(), int[][].class)[0];
        try (ModelSource src = ModelSource.open(INFER.resolve(name), name)) {
            TransformerModel m = TransformerModel.load(src, workers);
            Generator chat = new Generator(m, GeneratorTest::text);
            Generator.Result first = chat.generate(prompt, greedy(4, Set.of()), s -> { });
            int[] next = Arrays.copyOf(prompt, prompt.length + 4 + 3);
            System.arraycopy(first.generated(), 0, next, prompt.length, 4);
            next[next.length - 3] = 1;
            next[next.length - 2] = 2;
            next[next.length - 1] = 3;
            Generator.Result second = chat.generate(next, greedy(5, Set.of()), s -> { });
            assertEquals(next.length - (prompt.length + 3), second.prefilledTokens(), "only the tokens the cache lacks run");
            Generator.Result fresh = new Generator(m, GeneratorTest::text).generate(next, greedy(5, Set.of()), s -> { });
            assertArrayEquals(fresh.generated(), second.generated());
            // a context that leaves the cached path goes back to the common prefix
            int[] other = Arrays.copyOf(prompt, prompt.length);
            other[other.length - 1] = (other[other.length - 1] + 1) % m.description().vocab();
            assertArrayEquals(new Generator(m, GeneratorTest::text).generate(other, greedy(3, Set.of()), s -> { }).generated(),
                    chat.generate(other, greedy(3, Set.of()), s -> { }).generated());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void anEosIdEndsGenerationAndIsNotPrinted(String name) throws IOException {
        int[] prompt = new ObjectMapper().readValue(INFER.resolve(name).resolve("ids.json").toFile(), int[][].class)[0];
        try (ModelSource src = ModelSource.open(INFER.resolve(name), name)) {
            TransformerModel m = TransformerModel.load(src, workers);
            int[] free = new Generator(m, GeneratorTest::text).generate(prompt, greedy(6, Set.of()), s -> { }).generated();
            int eos = free[3];
            int firstEos = 0;
            while (free[firstEos] != eos) {
                firstEos++;
            }
            StringBuilder printed = new StringBuilder();
            Generator.Result r = new Generator(m, GeneratorTest::text).generate(prompt, greedy(6, Set.of(eos)), printed::append);
            assertEquals(Generator.StopReason.EOS, r.stopReason());
            assertArrayEquals(Arrays.copyOf(free, firstEos + 1), r.generated());
            assertEquals(text(Arrays.copyOf(free, firstEos)), printed.toString());
            assertTrue(r.generatedTokensPerSecond() >= 0 && r.promptTokensPerSecond() > 0);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void theModelsLengthBoundsContextAndGeneratedTokens(String name) throws IOException {
        int[] prompt = new ObjectMapper().readValue(INFER.resolve(name).resolve("ids.json").toFile(), int[][].class)[0];
        try (ModelSource src = ModelSource.open(INFER.resolve(name), name)) {
            TransformerModel m = TransformerModel.load(src, workers);
            Generator.Result r = new Generator(m, GeneratorTest::text).generate(prompt,
                    new Generator.Options(6, Sampling.greedy(), Set.of(), List.of(), prompt.length + 2), s -> { });
            assertEquals(2, r.generated().length);
            assertEquals(Generator.StopReason.MAX_LENGTH, r.stopReason());
            dev.mergelab.MergeLabException e = org.junit.jupiter.api.Assertions.assertThrows(dev.mergelab.MergeLabException.class,
                    () -> new Generator(m, GeneratorTest::text).generate(prompt,
                            new Generator.Options(6, Sampling.greedy(), Set.of(), List.of(), prompt.length), s -> { }));
            assertTrue(e.getMessage().contains("the model holds " + prompt.length + " positions"), e.getMessage());
        }
    }

    /** A stand-in detokeniser: each id as {@code <id>}. */
    static String text(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            b.append('<').append(id).append('>');
        }
        return b.toString();
    }

    private static double[] referenceLastRow(String name, int vocab) {
        try (SafetensorsFile f = SafetensorsFile.open(INFER.resolve(name).resolve("expected.safetensors"))) {
            TensorInfo t = f.tensor("logits.0");
            MemorySegment s = f.data(t);
            int rows = (int) (t.numel() / vocab);
            double[] v = new double[vocab];
            for (int j = 0; j < vocab; j++) {
                v[j] = s.getAtIndex(F64, (long) (rows - 1) * vocab + j);
            }
            return v;
        }
    }
}
