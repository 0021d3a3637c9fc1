package dev.mergelab.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * lm-eval's task-field environment (the TASK dialect) renders what Python's jinja2 renders in lm-eval's
 * configuration: no block whitespace control, the trailing newline kept, StrictUndefined, {@code regex_replace}.
 * Fixture: scripts/chat-template-ref/make-task-fixtures.py run with Debian's python3-jinja2 3.1.2.
 */
class TaskDialectParityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<JsonNode> cases() throws Exception {
        JsonNode root = JSON.readTree(Path.of("src/test/resources/chat/task-dialect.json").toFile());
        List<JsonNode> out = new ArrayList<>();
        root.get("cases").forEach(out::add);
        return out.stream();
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest
    @MethodSource("cases")
    void rendersAsLmEvalsJinja2(JsonNode c) throws Exception {
        Map<String, Object> doc = JSON.convertValue(JSON.readTree(Path.of("src/test/resources/chat/task-dialect.json").toFile())
                .get("doc"), Map.class);
        String template = c.get("template").asText();
        JinjaTemplate t = JinjaTemplate.compile(template, "task.yaml: doc_to_text", JinjaTemplate.Dialect.TASK);
        if (c.has("error")) {
            MergeLabException e = assertThrows(MergeLabException.class, () -> t.render(doc));
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        } else {
            assertEquals(c.get("rendered").asText(), t.render(doc), template);
        }
    }
}
