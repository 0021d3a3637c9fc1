package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Users' lm-eval task files: fields, include, Jinja, and one-line errors naming file and line. */
class TaskYamlTest {

    private static final Path DIR = Path.of("src/test/resources/eval/custom");

    @Test
    void readsTheSchemaAndRendersJinjaFields() {
        TaskConfig c = TaskYaml.load(DIR.resolve("qa.yaml"));
        assertEquals("tiny_qa", c.task);
        assertEquals("test", c.testSplit);
        assertEquals("train", c.trainingSplit);
        assertEquals(List.of("acc", "acc_norm"), c.metricNames());
        assertEquals(3.0, c.version);
        Map<String, Object> d = Map.of("question", "Is ice cold?", "options", List.of("yes", "no"), "gold", 1);
        Task t = new Task(c, List.of(d));
        assertEquals(List.of("Question: Is ice cold?\nAnswer:"), t.contexts(d, List.of()));
        assertEquals(List.of("yes", "no"), t.docToChoice(d));
        assertEquals(1, t.docToTarget(d));
    }

    @Test
    void includeMergesUnderTheFilesOwnKeys() {
        TaskConfig c = TaskYaml.load(DIR.resolve("qa_loglik.yaml"));
        assertEquals("tiny_qa_loglik", c.task);
        assertEquals("loglikelihood", c.outputType);
        assertEquals("Question: {{question}}\nAnswer:", c.docToText);
        assertEquals(null, c.docToChoice);
        Map<String, Object> d = Map.of("question", "Q?", "answer", "yes");
        Task t = new Task(c, List.of(d));
        assertEquals(" yes", t.requests(d, List.of("Question: Q?\nAnswer:")).pairs().get(0)[1]);
    }

    @Test
    void jinjaKeepsTheTrailingNewlineAndRejectsUndefinedNames() {
        assertEquals("a b\n", Jinja.render("a {{x}}\n", Map.of("x", "b"), "t"));
        MergeLabException e = assertThrows(MergeLabException.class, () -> Jinja.render("{{nope}}", Map.of("x", "b"), "task.yaml: doc_to_text"));
        assertTrue(e.getMessage().startsWith("task.yaml: doc_to_text"), e.getMessage());
    }

    @Test
    void syntaxErrorsNameFileLineAndColumn() {
        MergeLabException e = assertThrows(MergeLabException.class, () -> TaskYaml.load(DIR.resolve("bad_syntax.yaml")));
        assertTrue(e.getMessage().startsWith(DIR.resolve("bad_syntax.yaml") + ":5:1: YAML syntax error"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void unsupportedKeysAndPythonFunctionsNameTheirLine() {
        MergeLabException k = assertThrows(MergeLabException.class, () -> TaskYaml.load(DIR.resolve("bad_key.yaml")));
        assertTrue(k.getMessage().startsWith(DIR.resolve("bad_key.yaml") + ":8: key use_prompt is not supported"), k.getMessage());
        MergeLabException f = assertThrows(MergeLabException.class, () -> TaskYaml.load(DIR.resolve("bad_function.yaml")));
        assertTrue(f.getMessage().startsWith(DIR.resolve("bad_function.yaml") + ":5: !function my_utils.doc_to_text"), f.getMessage());
    }
}
