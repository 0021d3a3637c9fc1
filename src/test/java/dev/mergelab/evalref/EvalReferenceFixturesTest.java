package dev.mergelab.evalref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.infer.Session;
import dev.mergelab.infer.TransformerModel;
import dev.mergelab.infer.Workers;
import dev.mergelab.model.ModelSource;
import dev.mergelab.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lm-eval reference fixtures ({@code src/test/resources/eval-ref/}, made by {@code scripts/eval-ref/run.sh}
 * running lm-evaluation-harness's own code) are consistent with MergeLab's tokenizer and forward pass: every
 * request's token ids are what MergeLab's tokenizer gives under lm-eval's request rules, and every stored
 * log-likelihood is what MergeLab's forward pass gives for the stored input, within 1e-4 relative. A later
 * difference between {@code mergelab eval} and these files is then in request building or metrics, not here.
 */
class EvalReferenceFixturesTest {

    static final Path ROOT = Path.of("src/test/resources/eval-ref");
    static final Path MODEL = ROOT.resolve("model");
    /** The model's max_position_embeddings: lm-eval's max_length for it. */
    static final int MAX_LENGTH = 128;
    static final int BOS = 1;
    static final double RELATIVE = 1e-4;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Tokenizer tokenizer;
    private static ModelSource source;
    private static Workers workers;
    private static TransformerModel model;

    @BeforeAll
    static void open() {
        tokenizer = Tokenizer.load(MODEL.resolve("tokenizer.json"));
        source = ModelSource.open(MODEL, "eval-ref");
        workers = new Workers(2);
        model = TransformerModel.load(source, workers);
    }

    @AfterAll
    static void close() {
        workers.close();
        source.close();
    }

    /** Every distilled task file: expected/RUN/TASK.json (the mmlu.json group summaries hold no samples). */
    static Stream<Path> taskFiles() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT.resolve("expected"))) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".json") && !p.getParent().endsWith("lm-eval")
                    && !p.getFileName().toString().equals("mmlu.json")).sorted().toList();
            return list.stream();
        }
    }

    @Test
    void everyRunAndTaskIsThere() throws IOException {
        List<String> names = taskFiles().map(p -> ROOT.resolve("expected").relativize(p).toString()).toList();
        for (String task : List.of("arc_easy", "arc_challenge", "hellaswag", "piqa", "winogrande", "lambada_openai",
                "wikitext", "mmlu_anatomy", "mmlu_marketing", "mmlu_sociology", "mmlu_world_religions",
                "truthfulqa_mc1", "custom_qa", "ppl_document")) {
            assertTrue(names.contains("zeroshot/" + task + ".json"), task);
        }
        assertTrue(names.contains("mmlu_2shot/mmlu_anatomy.json"));
        assertTrue(names.contains("limit2/arc_easy.json"));
        assertTrue(Files.isRegularFile(ROOT.resolve("expected/zeroshot/mmlu.json")));
    }

    @ParameterizedTest
    @MethodSource("taskFiles")
    void requestTokenIdsFollowLmEvalFromMergeLabsTokenizer(Path file) throws IOException {
        JsonNode task = JSON.readTree(file.toFile());
        for (JsonNode doc : task.get("samples")) {
            for (JsonNode r : doc.get("requests")) {
                String where = file + " doc " + doc.get("doc_id").asInt();
                if (r.has("windows")) {
                    // loglikelihood_rolling tokenizes the whole text with the tokenizer's default special tokens.
                    assertArrayEquals(ints(r.get("token_ids")), tokenizer.encode(r.get("text").asText(), true), where);
                    continue;
                }
                String context = r.get("context").asText();
                String continuation = r.get("continuation").asText();
                int[] contextIds = ints(r.get("context_ids"));
                int[] continuationIds = ints(r.get("continuation_ids"));
                if (context.isEmpty()) {
                    // lm_eval/api/model.py TemplateLM.loglikelihood: an empty context is the prefix token (BOS).
                    int[] plain = tokenizer.encode(continuation, false);
                    assertTrue(plain[0] != BOS, where);
                    assertArrayEquals(new int[] {BOS}, contextIds, where);
                    assertArrayEquals(plain, continuationIds, where);
                    continue;
                }
                // TemplateLM._encode_pair: trailing context whitespace moves to the continuation; the whole is
                // encoded at once and split after the context's own encoding.
                String trimmed = context.stripTrailing();
                String moved = context.substring(trimmed.length()) + continuation;
                int[] whole = tokenizer.encode(trimmed + moved, true);
                int[] ctx = tokenizer.encode(trimmed, true);
                assertArrayEquals(ctx, contextIds, where);
                assertArrayEquals(Arrays.copyOfRange(whole, ctx.length, whole.length), continuationIds, where);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("taskFiles")
    void storedLogLikelihoodsAreMergeLabsForwardPass(Path file) throws IOException {
        JsonNode task = JSON.readTree(file.toFile());
        for (JsonNode doc : task.get("samples")) {
            String where = file + " doc " + doc.get("doc_id").asInt();
            JsonNode requests = doc.get("requests");
            assertEquals(requests.size(), doc.get("loglikelihoods").size(), where);
            for (int i = 0; i < requests.size(); i++) {
                JsonNode r = requests.get(i);
                double stored = doc.get("loglikelihoods").get(i).asDouble();
                if (r.has("windows")) {
                    double sum = 0;
                    for (JsonNode w : r.get("windows")) {
                        double got = score(w, where).logprob;
                        assertClose(w.get("loglikelihood").asDouble(), got, where + " window");
                        sum += got;
                    }
                    assertClose(stored, sum, where + " rolling total");
                } else {
                    Score s = score(r, where);
                    assertClose(stored, s.logprob, where + " request " + i);
                    assertEquals(doc.get("is_greedy").get(i).asBoolean(), s.greedy, where + " is_greedy " + i);
                }
            }
        }
    }

    @Test
    void theFixturesExerciseTruncationEmptyContextsRollingWindowsAndGreedyHits() throws IOException {
        int truncated = 0;
        int empty = 0;
        int greedy = 0;
        int multiWindow = 0;
        for (Path file : taskFiles().toList()) {
            for (JsonNode doc : JSON.readTree(file.toFile()).get("samples")) {
                for (JsonNode g : doc.get("is_greedy")) {
                    greedy += g.asBoolean() ? 1 : 0;
                }
                for (JsonNode r : doc.get("requests")) {
                    if (r.has("windows")) {
                        multiWindow += r.get("windows").size() > 1 ? 1 : 0;
                    } else {
                        truncated += r.get("context_ids").size() + r.get("continuation_ids").size() > MAX_LENGTH + 1 ? 1 : 0;
                        empty += r.get("context").asText().isEmpty() ? 1 : 0;
                    }
                }
            }
        }
        assertTrue(truncated > 10, "truncated requests: " + truncated);
        assertTrue(empty > 0, "empty contexts: " + empty);
        assertTrue(multiWindow > 1, "documents over several rolling windows: " + multiWindow);
        assertTrue(greedy > 0, "greedy continuations: " + greedy);
    }

    private record Score(double logprob, boolean greedy) {
    }

    /**
     * Log-likelihood of a request's continuation as lm-eval's HF model computes it: the input is the last
     * max_length + 1 tokens of context + continuation without the final one, and the continuation is scored on
     * the input's last len(continuation) positions (log-softmax in double over MergeLab's float32 logits).
     */
    private static Score score(JsonNode r, String where) {
        int[] context = ints(r.get("context_ids"));
        int[] continuation = ints(r.get("continuation_ids"));
        int[] all = new int[context.length + continuation.length];
        System.arraycopy(context, 0, all, 0, context.length);
        System.arraycopy(continuation, 0, all, context.length, continuation.length);
        int from = Math.max(0, all.length - (MAX_LENGTH + 1));
        int[] input = Arrays.copyOfRange(all, from, all.length - 1);
        assertArrayEquals(input, ints(r.get("input_ids")), where + ": stored input is not lm-eval's truncation");

        Session session = model.newSession();
        float[] logits = session.forward(input);
        int vocab = logits.length / input.length;
        double total = 0;
        boolean greedy = true;
        for (int k = 0; k < continuation.length; k++) {
            int row = input.length - continuation.length + k;
            int base = row * vocab;
            double max = Double.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int v = 0; v < vocab; v++) {
                if (logits[base + v] > max) {
                    max = logits[base + v];
                    argmax = v;
                }
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[base + v] - max);
            }
            total += logits[base + continuation[k]] - max - Math.log(sum);
            greedy &= argmax == continuation[k];
        }
        return new Score(total, greedy);
    }

    private static void assertClose(double expected, double actual, String where) {
        double tolerance = RELATIVE * Math.max(1.0, Math.abs(expected));
        assertTrue(Math.abs(expected - actual) <= tolerance,
                where + ": expected " + expected + ", MergeLab's forward pass gives " + actual);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
