package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The few-shot examples each document gets, against CPython 3.11.7:
 * {@code r=random.Random(1234); [r.sample(list(range(5)),2) for _ in range(4)]} = [[3,0],[0,4],[4,0],[0,4]] and
 * {@code [r.sample(list(range(4)),3) for _ in range(4)]} = [[3,0,2],[0,2,3],[0,3,1],[1,0,2]].
 */
class FewshotSamplingTest {

    private static final Path DIR = Path.of("src/test/resources/eval/custom");
    private final Evaluator evaluator = new Evaluator(
            new RequestEncoder(Tokenizer.load(RequestEncoderTest.TINY.resolve("tokenizer.json")), 1, 64), null);

    private static String q(String s) {
        return "Question: " + s + "\nAnswer:";
    }

    private static List<String> questions(String file) {
        return dev.mergelab.data.Rows.read(DIR.resolve(file)).stream().map(d -> (String) d.get("question")).toList();
    }

    @Test
    void oneGeneratorPerTaskDrawsForEachDocumentInTurn() {
        TaskConfig c = TaskYaml.load(DIR.resolve("qa.yaml"));
        Evaluator.Prepared p = evaluator.prepare(c, new TaskDocs(c, DIR), null, 2);
        List<String> train = questions("train.jsonl");
        List<String> test = questions("test.jsonl");
        List<String> answers = List.of(" yes", " the cat", " yes", " in the park", " no");
        int[][] shots = {{3, 0}, {0, 4}, {4, 0}, {0, 4}};
        for (int d = 0; d < 4; d++) {
            String want = q(train.get(shots[d][0])) + answers.get(shots[d][0]) + "\n\n"
                    + q(train.get(shots[d][1])) + answers.get(shots[d][1]) + "\n\n" + q(test.get(d));
            assertEquals(want, p.requests().get(d).pairs().get(0)[0], "document " + d);
        }
        assertEquals(2, p.numFewshot());
    }

    @Test
    void sameSplitDrawsOneMoreAndDropsTheDocument() {
        TaskConfig c = TaskYaml.load(DIR.resolve("qa.yaml"));
        c.fewshotSplit = "test"; // the split evaluated: lm-eval passes eval_doc and samples k + 1
        Evaluator.Prepared p = evaluator.prepare(c, new TaskDocs(c, DIR), null, 2);
        List<String> test = questions("test.jsonl");
        int[][] shots = {{3, 2}, {0, 2}, {0, 3}, {1, 0}};
        for (int d = 0; d < 4; d++) {
            String ctx = p.requests().get(d).pairs().get(0)[0];
            String first = ctx.substring(0, ctx.indexOf("\nAnswer:"));
            String second = ctx.substring(ctx.indexOf("\n\n") + 2);
            assertEquals(q(test.get(shots[d][0])).replace("\nAnswer:", ""), first, "document " + d);
            assertEquals(true, second.startsWith(q(test.get(shots[d][1]))), "document " + d);
        }
    }

    @Test
    void firstNTakesThePoolInOrder() {
        TaskConfig c = TaskYaml.load(DIR.resolve("qa.yaml"));
        c.sampler = "first_n";
        Evaluator.Prepared p = evaluator.prepare(c, new TaskDocs(c, DIR), 2, 1);
        List<String> train = questions("train.jsonl");
        for (int d = 0; d < 2; d++) {
            assertEquals(true, p.requests().get(d).pairs().get(0)[0].startsWith(q(train.get(0)) + " yes\n\n"));
        }
        assertEquals(2, p.docs().size());
        assertEquals(4, p.originalDocs());
    }

    @Test
    void aConfigsZeroShotsWinOverTheCommandLine() {
        TaskConfig c = TaskYaml.load(DIR.resolve("qa.yaml"));
        c.numFewshot = 0;
        Evaluator.Prepared p = evaluator.prepare(c, new TaskDocs(c, DIR), 1, 3);
        assertEquals(0, p.numFewshot());
        assertEquals(q("What is the cat on?"), p.requests().get(0).pairs().get(0)[0]);
    }
}
