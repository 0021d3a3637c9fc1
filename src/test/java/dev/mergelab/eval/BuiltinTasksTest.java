package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Prompts and requests of the built-in tasks, written out by hand from lm-eval's task files. */
class BuiltinTasksTest {

    private static Map<String, Object> doc(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static final Map<String, Object> ARC = doc("id", "q1", "question", "What is the cat on?",
            "choices", doc("text", List.of("the mat", "a tree"), "label", List.of("A", "B")), "answerKey", "B");

    @Test
    void arcPromptFewshotAndChoices() {
        TaskConfig c = BuiltinTasks.arc("arc_easy", "ARC-Easy");
        Map<String, Object> shot = doc("id", "s", "question", "Is ice cold?",
                "choices", doc("text", List.of("no", "yes"), "label", List.of("1", "2")), "answerKey", "2");
        Task t = new Task(c, List.of(ARC));
        List<String> ctx = t.contexts(ARC, List.of(shot));
        assertEquals(List.of("Question: Is ice cold?\nAnswer: yes\n\nQuestion: What is the cat on?\nAnswer:"), ctx);
        Task.DocRequests r = t.requests(ARC, ctx);
        assertEquals(2, r.pairs().size());
        assertEquals(" the mat", r.pairs().get(0)[1]);
        assertEquals(" a tree", r.pairs().get(1)[1]);
        // gold is choices.label.index(answerKey) = 1; acc_norm divides by len(choice) in characters
        Map<String, double[]> m = t.results(ARC, new Score[] {new Score(-7.0, false), new Score(-5.4, true)});
        assertEquals(1.0, m.get("acc")[0]);
        assertEquals(1.0, m.get("acc_norm")[0]);
        // a tie (-7/7 = -6/6) goes to the first choice, as numpy's argmax does
        assertEquals(0.0, t.results(ARC, new Score[] {new Score(-7.0, false), new Score(-6.0, true)}).get("acc_norm")[0]);
        Map<String, double[]> n = t.results(ARC, new Score[] {new Score(-7.0, false), new Score(-6.5, true)});
        assertEquals(1.0, n.get("acc")[0]);
        assertEquals(0.0, n.get("acc_norm")[0]); // -7/7 > -6.5/6
    }

    @Test
    void winograndeScoresTheTextAfterTheBlankUnderEachFilledContext() {
        TaskConfig c = BuiltinTasks.winogrande();
        Map<String, Object> d = doc("sentence", "The cup fell off the shelf because _ was loose.", "option1", "the cup",
                "option2", "the shelf", "answer", "2");
        Task t = new Task(c, List.of(d));
        List<String> ctx = t.contexts(d, List.of());
        assertEquals(List.of("The cup fell off the shelf because the cup", "The cup fell off the shelf because the shelf"), ctx);
        Task.DocRequests r = t.requests(d, ctx);
        assertEquals(" was loose.", r.pairs().get(0)[1]);
        assertEquals(" was loose.", r.pairs().get(1)[1]);
        assertEquals(1.0, t.results(d, new Score[] {new Score(-9, false), new Score(-8, false)}).get("acc")[0]);
        // a few-shot example is its gold-filled context, the target delimiter, the rest, the fewshot delimiter
        List<String> withShot = t.contexts(d, List.of(doc("sentence", "A _ b.", "option1", "x", "option2", "y", "answer", "1")));
        assertEquals("A x b.\n\nThe cup fell off the shelf because the cup", withShot.get(0));
    }

    @Test
    void lambadaSplitsAtTheLastSpace() {
        TaskConfig c = BuiltinTasks.lambadaOpenai();
        Map<String, Object> d = doc("text", "he looked at the  old dog");
        Task t = new Task(c, List.of(d));
        Task.DocRequests r = t.requests(d, t.contexts(d, List.of()));
        assertEquals("he looked at the  old", r.pairs().get(0)[0]);
        assertEquals(" dog", r.pairs().get(0)[1]);
        Map<String, double[]> m = t.results(d, new Score[] {new Score(-3.5, true)});
        assertEquals(-3.5, m.get("perplexity")[0]);
        assertEquals(1.0, m.get("acc")[0]);
    }

    @Test
    void mmluPromptWithDescriptionAndFirstNShots() {
        TaskConfig c = BuiltinTasks.mmlu("high_school_physics");
        Map<String, Object> d = doc("question", "  What is g?\n", "subject", "high_school_physics",
                "choices", List.of("1", "9.8", "3", "4"), "answer", 1);
        Map<String, Object> shot = doc("question", "Unit of force?", "subject", "x", "choices", List.of("N", "J", "W", "Pa"), "answer", 0);
        Task t = new Task(c, List.of(d));
        String ctx = t.contexts(d, List.of(shot)).get(0);
        assertEquals("The following are multiple choice questions (with answers) about high school physics.\n\n"
                + "Unit of force?\nA. N\nB. J\nC. W\nD. Pa\nAnswer: A\n\n"
                + "What is g?\nA. 1\nB. 9.8\nC. 3\nD. 4\nAnswer:", ctx);
        assertEquals(" B", t.requests(d, List.of(ctx)).pairs().get(1)[1]);
        assertEquals(57, BuiltinTasks.mmluSubjects().size());
        assertEquals(57, BuiltinTasks.tasks("mmlu").size());
        List<BuiltinTasks.Group> groups = BuiltinTasks.groups("mmlu");
        assertEquals(5, groups.size());
        assertEquals("mmlu", groups.get(4).name());
        assertEquals(57, groups.get(4).leaves().size());
    }

    @Test
    void truthfulqaHasTheFixedPreambleAndGoldZero() {
        TaskConfig c = BuiltinTasks.truthfulqaMc1();
        Map<String, Object> d = doc("question", "Is the sky green?", "mc1_targets", doc("choices", List.of("No.", "Yes."), "labels", List.of(1, 0)));
        Task t = new Task(c, List.of(d));
        String ctx = t.contexts(d, List.of()).get(0);
        assertTrue(ctx.startsWith("Q: What is human life expectancy in the United States?\nA: Human life expectancy"));
        assertTrue(ctx.endsWith("A: The 1992 Olympics were held in Barcelona, Spain.\n\nQ: Is the sky green?\nA:"));
        assertEquals(1.0, t.results(d, new Score[] {new Score(-1, false), new Score(-2, false)}).get("acc")[0]);
    }

    @Test
    void piqaAndHellaswagMatchLmEvalsPreprocessing() throws IOException {
        JsonNode fx = new ObjectMapper().readTree(Path.of("src/test/resources/eval/fixtures/preprocess.json").toFile());
        JsonNode hs = fx.get("hellaswag");
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = new ObjectMapper().convertValue(hs.get("doc"), Map.class);
        TaskConfig c = BuiltinTasks.hellaswag();
        List<Map<String, Object>> docs = c.processDocs.apply(List.of(raw));
        Task t = new Task(c, docs);
        Map<String, Object> d = docs.get(0);
        assertEquals(hs.get("query").asText(), t.contexts(d, List.of()).get(0));
        List<String> conts = new ArrayList<>();
        t.requests(d, List.of("q")).pairs().forEach(p -> conts.add(p[1]));
        for (int i = 0; i < 4; i++) {
            assertEquals(" " + hs.get("choices").get(i).asText(), conts.get(i));
        }
        // doc_to_target "{{label}}" renders "3", a digit string with choices: the gold index 3
        assertEquals(3, t.docToTarget(d));

        TaskConfig p = BuiltinTasks.piqa();
        Map<String, Object> pd = doc("goal", "Open a jar", "sol1", "twist the lid", "sol2", "hit it", "label", 0);
        Task pt = new Task(p, List.of(pd));
        assertEquals("Question: Open a jar\nAnswer:", pt.contexts(pd, List.of()).get(0));
        assertEquals(" hit it", pt.requests(pd, List.of("x")).pairs().get(1)[1]);
    }

    @Test
    void wikitextDetokenizesAndCountsTheOriginalPage() throws IOException {
        JsonNode wt = new ObjectMapper().readTree(Path.of("src/test/resources/eval/fixtures/preprocess.json").toFile()).get("wikitext");
        String page = wt.get("page").asText();
        assertEquals(wt.get("detokenized").asText(), WikitextDetokenizer.detokenize(page));
        TaskConfig c = BuiltinTasks.wikitext();
        Task t = new Task(c, List.of(doc("page", page)));
        Task.DocRequests r = t.requests(doc("page", page), List.of(""));
        assertTrue(r.rolling());
        Map<String, double[]> m = t.results(doc("page", page), new Score[] {new Score(-100.0, false)});
        assertEquals(wt.get("process_results").get("word_perplexity").get(1).asDouble(), m.get("word_perplexity")[1]);
        assertEquals(wt.get("process_results").get("byte_perplexity").get(1).asDouble(), m.get("byte_perplexity")[1]);
    }
}
