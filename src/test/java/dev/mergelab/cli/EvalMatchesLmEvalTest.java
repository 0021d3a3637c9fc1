package dev.mergelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mergelab eval} reproduces lm-evaluation-harness's numbers: the fixtures in
 * {@code src/test/resources/eval-ref/expected} were made by lm-eval itself (commit 4e7e0d47, its own request
 * building, metrics and aggregation; float64 PyTorch 1.13 log-likelihoods of the tiny model, Rust tokenizers
 * 0.23.2; see that folder's README and {@code scripts/eval-ref/run.sh}). Each run here evaluates the same model
 * on the same task files through the CLI and compares every document's log-likelihoods, greedy flags and the
 * task metrics with lm-eval's.
 *
 * <p>Tolerances: our scores are float32 logits with a double log-softmax, lm-eval's reference float64 end to end;
 * the observed log-likelihood differences are below 4e-7 relative, so 1e-5 leaves room without hiding a wrong
 * request (a wrong token moves a log-likelihood by whole units). Accuracies are counts and must be equal; the
 * perplexities exponentiate the difference, hence 1e-4 relative. LAMBADA's perplexity stderr is a 100,000-draw
 * bootstrap over those perplexities and gets the same relative tolerance.
 */
class EvalMatchesLmEvalTest {

    private static final Path REF = Path.of("src/test/resources/eval-ref").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PLAIN = List.of("arc_easy", "arc_challenge", "hellaswag", "piqa", "winogrande",
            "lambada_openai", "wikitext", "truthfulqa_mc1");
    private static final List<String> MMLU = List.of("mmlu_anatomy", "mmlu_marketing", "mmlu_sociology", "mmlu_world_religions");

    @Test
    void zeroShotEveryBuiltInTaskACustomYamlAndAPlainTextDocument(@TempDir Path dir) throws IOException {
        // the reference ran lm-eval from the tasks folder, against which the YAML's data_files path is relative
        Path yaml = dir.resolve("custom_qa.yaml");
        Files.writeString(yaml, Files.readString(REF.resolve("tasks/custom_qa.yaml"))
                .replace("../data/custom_qa/test.jsonl", REF.resolve("data/custom_qa/test.jsonl").toString()));
        List<String> tasks = new ArrayList<>(PLAIN);
        tasks.addAll(MMLU);
        tasks.add(yaml.toString());
        tasks.add("ppl:" + REF.resolve("data/ppl/document.txt"));
        Path out = eval(dir, tasks, List.of());
        compareAll(out, REF.resolve("expected/zeroshot"), 14);
    }

    @Test
    void twoShotMmluDrawsLmEvalsExamples(@TempDir Path dir) throws IOException {
        Path out = eval(dir, MMLU, List.of("--num-fewshot", "2"));
        compareAll(out, REF.resolve("expected/mmlu_2shot"), 4);
    }

    @Test
    void limitScoresTheFirstDocumentsOnly(@TempDir Path dir) throws IOException {
        Path out = eval(dir, List.of("arc_easy", "hellaswag", "wikitext"), List.of("--limit", "2"));
        compareAll(out, REF.resolve("expected/limit2"), 3);
    }

    private static Path eval(Path dir, List<String> tasks, List<String> extra) {
        Path out = dir.resolve("out");
        List<String> args = new ArrayList<>(List.of("eval", REF.resolve("model").toString(), "--tasks", String.join(",", tasks),
                "--output", out.toString(), "--log-samples", "--threads", "2"));
        for (String t : tasks) {
            if (PLAIN.contains(t)) {
                args.addAll(List.of("--data", t + "=" + REF.resolve("data/" + t)));
            } else if (MMLU.contains(t)) {
                args.addAll(List.of("--data", t + "=" + REF.resolve("data/mmlu")));
            }
        }
        args.addAll(extra);
        InProcessCli.Run r = InProcessCli.cli(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return out;
    }

    /** Every task fixture in {@code expected} (group files aside) against our results and samples. */
    private static void compareAll(Path out, Path expected, int expectedTasks) throws IOException {
        JsonNode results = JSON.readTree(out.resolve("results.json").toFile()).get("results");
        int compared = 0;
        try (var files = Files.list(expected)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode e = JSON.readTree(f.toFile());
                if (!e.has("samples")) {
                    continue;   // a group's aggregate (mmlu over four subjects): our mmlu group is all 57
                }
                String task = e.get("task").asText();
                JsonNode got = results.get(task);
                assertTrue(got != null, task + " is missing from results.json");
                compareMetrics(task, e.get("results"), got);
                compareSamples(task, e.get("samples"), out.resolve("samples_" + task + ".jsonl"));
                compared++;
            }
        }
        assertEquals(expectedTasks, compared, "tasks compared in " + expected);
    }

    private static void compareMetrics(String task, JsonNode expected, JsonNode got) {
        for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            String key = m.getKey();
            if (key.equals("alias")) {
                continue;
            }
            JsonNode g = got.get(key);
            assertTrue(g != null, task + " " + key + " is missing");
            if (m.getValue().isTextual()) {
                assertEquals(m.getValue().asText(), g.asText(), task + " " + key);
                continue;
            }
            double want = m.getValue().asDouble();
            double tolerance = key.startsWith("acc") ? 1e-12 : 1e-4;
            assertEquals(want, g.asDouble(), tolerance * Math.max(1, Math.abs(want)), task + " " + key);
        }
    }

    private static void compareSamples(String task, JsonNode expected, Path samples) throws IOException {
        Map<Integer, JsonNode> got = new HashMap<>();
        for (String line : Files.readAllLines(samples)) {
            JsonNode s = JSON.readTree(line);
            got.put(s.get("doc_id").asInt(), s);
        }
        assertEquals(expected.size(), got.size(), task + " documents");
        for (JsonNode e : expected) {
            int doc = e.get("doc_id").asInt();
            JsonNode g = got.get(doc);
            JsonNode want = e.get("loglikelihoods");
            JsonNode have = g.get("loglikelihoods");
            assertEquals(want.size(), have.size(), task + " doc " + doc + " requests");
            for (int i = 0; i < want.size(); i++) {
                double w = want.get(i).asDouble();
                assertEquals(w, have.get(i).asDouble(), 1e-5 * Math.max(1, Math.abs(w)), task + " doc " + doc + " request " + i);
            }
            JsonNode greedy = e.get("is_greedy");
            if (greedy != null && !greedy.isNull()) {
                assertEquals(greedy, g.get("is_greedy"), task + " doc " + doc + " is_greedy");
            }
        }
    }
}
