package dev.mergelab.cli;

import static dev.mergelab.cli.InProcessCli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.mergelab.eval.BuiltinTasks;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mergelab eval} end to end on the tiny model: results.json, samples, errors, external evaluator, several models. */
class EvalCommandTest {

    private static final String TINY = "src/test/resources/eval/tiny";
    private static final String ARC = "arc_easy=src/test/resources/eval/arc";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void resultsJsonAndSamplesFollowLmEvalsLayout() throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "the cat sat on the mat. the dog sat on the log.\n".repeat(4));
        Path out = dir.resolve("out");
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "arc_easy,ppl:" + text, "--data", ARC, "--num-fewshot", "1",
                "--output", out.toString(), "--log-samples", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode root = JSON.readTree(out.resolve("results.json").toFile());
        JsonNode arc = root.get("results").get("arc_easy");
        assertEquals("arc_easy", arc.get("alias").asText());
        for (String k : List.of("acc,none", "acc_stderr,none", "acc_norm,none", "acc_norm_stderr,none")) {
            assertTrue(arc.get(k).isNumber(), k);
        }
        JsonNode ppl = root.get("results").get("ppl_notes");
        assertTrue(ppl.get("word_perplexity,none").isNumber());
        assertTrue(ppl.get("bits_per_byte,none").asDouble() > 0);
        assertEquals("N/A", ppl.get("byte_perplexity_stderr,none").asText());
        assertEquals(3, root.get("n-samples").get("arc_easy").get("original").asInt());
        assertEquals(3, root.get("n-samples").get("arc_easy").get("effective").asInt());
        assertEquals(1, root.get("n-shot").get("arc_easy").asInt());
        assertEquals(1.0, root.get("versions").get("arc_easy").asDouble());
        assertEquals("Question: {{question}}\nAnswer:", root.get("configs").get("arc_easy").get("doc_to_text").asText());
        assertEquals(TINY, root.get("config").get("model").asText());
        assertEquals(TINY, root.get("model_name").asText());
        assertEquals(dev.mergelab.Version.VERSION, root.get("mergelab_version").asText());

        // one line per document: doc_id, one log-likelihood per choice, is_greedy, the document's metrics
        List<String> lines = Files.readAllLines(out.resolve("samples_arc_easy.jsonl"));
        assertEquals(3, lines.size());
        int[] gold = {0, 0, 1};
        double accSum = 0;
        double[] accs = new double[3];
        for (int d = 0; d < 3; d++) {
            JsonNode s = JSON.readTree(lines.get(d));
            assertEquals(d, s.get("doc_id").asInt());
            JsonNode lls = s.get("loglikelihoods");
            assertEquals(s.get("is_greedy").size(), lls.size());
            int best = 0;
            for (int i = 1; i < lls.size(); i++) {
                best = lls.get(i).asDouble() > lls.get(best).asDouble() ? i : best;
            }
            accs[d] = best == gold[d] ? 1 : 0;
            assertEquals(accs[d], s.get("acc").asDouble());
            accSum += accs[d];
        }
        assertEquals(List.of(3, 2, 4), lines.stream().map(l -> {
            try {
                return JSON.readTree(l).get("loglikelihoods").size();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList());
        assertEquals(accSum / 3, arc.get("acc,none").asDouble(), 1e-15);
        double mean = accSum / 3;
        double var = 0;
        for (double a : accs) {
            var += (a - mean) * (a - mean);
        }
        assertEquals(Math.sqrt(var / 2) / Math.sqrt(3), arc.get("acc_stderr,none").asDouble(), 1e-15);
        JsonNode doc = JSON.readTree(Files.readAllLines(out.resolve("samples_ppl_notes.jsonl")).get(0));
        assertEquals(2, doc.get("word_perplexity").size()); // (loglikelihood, words)
        assertEquals(doc.get("loglikelihoods").get(0).asDouble(), doc.get("word_perplexity").get(0).asDouble());
    }

    @Test
    void mmluFromOneAllSubjectsFileAggregatesBySize() throws IOException {
        StringBuilder test = new StringBuilder();
        StringBuilder shots = new StringBuilder();
        int k = 0;
        for (String subject : BuiltinTasks.mmluSubjects().keySet()) {
            for (int i = 0; i < 2 + (k % 2); i++) {
                test.append("{\"question\": \"Is the sea wet? ").append(i).append("\", \"subject\": \"").append(subject)
                        .append("\", \"choices\": [\"yes\", \"no\", \"at noon\", \"the cat\"], \"answer\": ").append((k + i) % 4).append("}\n");
            }
            shots.append("{\"question\": \"Is fire hot?\", \"subject\": \"").append(subject)
                    .append("\", \"choices\": [\"no\", \"yes\", \"a\", \"b\"], \"answer\": 1}\n");
            k++;
        }
        Path data = dir.resolve("mmlu");
        Files.createDirectories(data);
        Files.writeString(data.resolve("test.jsonl"), test);
        Files.writeString(data.resolve("dev.jsonl"), shots);
        Path out = dir.resolve("mmlu-out");
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "mmlu", "--data", "mmlu=" + data, "--num-fewshot", "1",
                "--output", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode root = JSON.readTree(out.resolve("results.json").toFile());
        JsonNode results = root.get("results");
        assertEquals(57 + 5, results.size());
        double num = 0;
        double den = 0;
        double pooled = 0;
        for (String subject : BuiltinTasks.mmluSubjects().keySet()) {
            JsonNode leaf = results.get("mmlu_" + subject);
            int n = leaf.get("sample_len").asInt();
            num += leaf.get("acc,none").asDouble() * n;
            den += n;
            double se = leaf.get("acc_stderr,none").asDouble();
            pooled += (n - 1) * se * se * n;
            assertEquals(subject, leaf.get("alias").asText());
        }
        JsonNode group = results.get("mmlu");
        assertEquals(num / den, group.get("acc,none").asDouble(), 1e-12);
        assertEquals(Math.sqrt(pooled / (den - 57) / den), group.get("acc_stderr,none").asDouble(), 1e-12);
        assertEquals(142, group.get("sample_len").asInt());
        assertTrue(root.get("groups").has("mmlu_stem"));
        assertEquals(57, root.get("group_subtasks").get("mmlu").size());
        assertEquals(1, root.get("n-shot").get("mmlu_anatomy").asInt());
        assertTrue(root.get("configs").get("mmlu_anatomy").get("description").asText().endsWith("about anatomy.\n\n"));
    }

    @Test
    void customTasksFindLocalDataThroughTheirYaml() throws IOException {
        Path out = dir.resolve("custom");
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "src/test/resources/eval/custom/qa_files.yaml,"
                + "src/test/resources/eval/custom/qa_folder.yaml,src/test/resources/eval/custom/qa.yaml",
                "--data", "tiny_qa=src/test/resources/eval/custom", "--num-fewshot", "2", "--output", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode results = JSON.readTree(out.resolve("results.json").toFile()).get("results");
        // the same data and the same shots reached three ways give the same numbers
        for (String task : List.of("tiny_qa_files", "tiny_qa_folder")) {
            assertEquals(results.get("tiny_qa").get("acc,none").asDouble(), results.get(task).get("acc,none").asDouble());
            assertEquals(results.get("tiny_qa").get("acc_norm,none").asDouble(), results.get(task).get("acc_norm,none").asDouble());
        }
    }

    @Test
    void anActiveLabRecordsEveryMetricWithItsStderrLimitAndDataHash() throws IOException {
        Path lab = dir.resolve("lab");
        assertEquals(0, cli("lab", "init", lab.toString()).code());
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "arc_easy", "--data", ARC, "--limit", "2", "--lab", lab.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("lab: recorded 2 scores of "), r.err());
        JSON.readTree(r.out());   // the note stays off stdout: --json output is one JSON document
        InProcessCli.Run show = cli("lab", "show", TINY, "--lab", lab.toString(), "--json");
        assertEquals(0, show.code(), show.err());
        JsonNode scores = JSON.readTree(show.out()).get("scores");
        assertEquals(2, scores.size(), show.out());
        for (JsonNode s : scores) {
            assertEquals("arc_easy", s.get("task").asText());
            assertTrue(s.get("metric").asText().startsWith("acc"), s.toString());
            assertTrue(s.get("stderr").isNumber(), s.toString());
            assertEquals(2, s.get("limit").asInt(), s.toString());
            assertEquals(64, s.get("data_sha256").asText().length(), s.toString());
        }
    }

    @Test
    void missingDataIsOneLineNamingTheFile() {
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "piqa");
        assertEquals(2, r.code());
        assertEquals(List.of("mergelab: no data for task piqa: download validation.jsonl (columns of the Hugging Face dataset "
                + "baber/piqa) and pass --data piqa=FOLDER (or =FILE) (or download it into the Hugging Face cache: huggingface-cli download "
                + "baber/piqa --repo-type dataset --include 'validation*')"), r.err().lines().filter(l -> l.startsWith("mergelab:")).toList());
    }

    @Test
    void aDocumentWithoutThePromptsColumnsIsOneLine() throws IOException {
        Path data = dir.resolve("bad.jsonl");
        Files.writeString(data, "{\"question\": \"q\", \"choices\": {\"text\": [\"a\"], \"label\": [\"A\"]}, \"answerKey\": \"A\"}\n"
                + "{\"query\": \"q\"}\n");
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "arc_easy", "--data", "arc_easy=" + data);
        assertEquals(2, r.code());
        assertEquals(List.of("mergelab: task arc_easy, document 1: the document has no column \"question\" (columns: [query])"),
                r.err().lines().filter(l -> l.startsWith("mergelab:")).toList(), r.err());
    }

    @Test
    void malformedTaskFileNamesFileAndLine() {
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "src/test/resources/eval/custom/bad_key.yaml");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad_key.yaml:8: key use_prompt is not supported"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void unknownTasksAndStrayDataAreRefused() {
        assertEquals(2, cli("eval", TINY, "--tasks", "gsm8k").code());
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "arc_easy", "--data", ARC, "--data", "piqa=x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--data piqa=...: no task piqa in --tasks"), r.err());
    }

    @Test
    void externalEvaluatorResultsJoinTheReport() throws IOException {
        Path out = dir.resolve("ext");
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "arc_easy", "--output", out.toString(), "--json",
                "--evaluator", "sh src/test/resources/eval/evaluator/fake_lm_eval.sh {model} {tasks} {out}");
        assertEquals(0, r.code(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        assertEquals(0.625, summary.get("models").get(0).get("results").get("arc_easy").get("acc,none").asDouble());
        JsonNode written = JSON.readTree(out.resolve("results.json").toFile());
        assertEquals(0.125, written.get("results").get("arc_easy").get("acc_stderr,none").asDouble());
        assertEquals(TINY, written.get("model_name").asText());
        assertTrue(r.err().contains("fake evaluator done"), r.err());
    }

    @Test
    void aFailingEvaluatorIsAnError() {
        InProcessCli.Run r = cli("eval", TINY, "--tasks", "arc_easy", "--evaluator", "sh -c 'exit 3' {model}");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("the evaluator exited with status 3"), r.err());
    }

    @Test
    void severalModelsGiveAnInterferenceMatrix() throws IOException {
        Path out = dir.resolve("multi");
        InProcessCli.Run r = cli("eval", TINY, "src/test/resources/eval/tiny-recipe.yml", "--tasks", "arc_easy", "--data", ARC,
                "--limit", "2", "--output", out.toString(), "--json", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        JsonNode row = summary.get("interference").get(0);
        assertEquals("arc_easy", row.get("task").asText());
        assertEquals("acc", row.get("metric").asText());
        double parent = row.get("scores").get(0).asDouble();
        double child = row.get("scores").get(1).asDouble();
        assertEquals(parent == 0 ? 0 : child / parent, parent == 0 ? 0 : row.get("relative_to_best_parent").get(1).asDouble(), 1e-12);
        assertTrue(Files.isRegularFile(out.resolve("1-tiny/results.json")));
        assertTrue(Files.isRegularFile(out.resolve("2-tiny-recipe.yml/results.json")));
        assertTrue(Files.isRegularFile(out.resolve("interference.json")));
    }
}
