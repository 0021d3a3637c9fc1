package dev.mergelab.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.MergeLabException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's own contract: errors are one line with the template line; workarounds behave as jinja2. */
class JinjaTemplateTest {

    private static String render(String template, Map<String, ?> vars) {
        return JinjaTemplate.compile(template, "t.jinja").render(vars);
    }

    @Test
    void syntaxErrorNamesTheOriginAndTheTemplateLine() {
        MergeLabException e = assertThrows(MergeLabException.class,
                () -> JinjaTemplate.compile("line one\n{# c #}\n  {%- if x %}\nnever closed", "models/m/chat_template.jinja"));
        assertTrue(e.getMessage().startsWith("models/m/chat_template.jinja: line 3 template error:"), e.getMessage());
        assertEquals(MergeLabException.Kind.INPUT, e.kind());
        assertFalse(e.oneLine().contains("\n"));
    }

    @Test
    void anEndTagWithoutItsStartIsAnError() {
        assertThrows(MergeLabException.class, () -> JinjaTemplate.compile("a {% endif %}", "t"));
    }

    @Test
    void raiseExceptionEndsTheRenderWithTheTemplatesMessageAndLine() {
        JinjaTemplate t = JinjaTemplate.compile("ok\n\n{% if bad %}{{ raise_exception('roles must alternate: ' ~ bad) }}{% endif %}", "x.jinja");
        assertEquals("ok\n\n", t.render(Map.of("bad", false)));
        MergeLabException e = assertThrows(MergeLabException.class, () -> t.render(Map.of("bad", "user,user")));
        assertEquals("x.jinja: line 3 template raised: roles must alternate: user,user", e.getMessage());
    }

    @Test
    void lineNumbersSurviveRewrittenLiteralsAndStrippedWhitespace() {
        String template = "{{ 'a\\nb\\nc' }}\n{%- for x in xs -%}\n\n   {{ x.nosuch() }}\n{%- endfor %}";
        MergeLabException e = assertThrows(MergeLabException.class, () -> render(template, Map.of("xs", List.of("s"))));
        assertTrue(e.getMessage().startsWith("t.jinja: line 4 "), e.getMessage());
    }

    @Test
    void messageTextIsNeverInterpretedAsATemplate() {
        assertEquals("{{ 7 * 7 }} {% if x %}", render("{{ m }}", Map.of("m", "{{ 7 * 7 }} {% if x %}")));
    }

    @Test
    void pythonLiteralsAndPrinting() {
        assertEquals("a\nb\té\\d'\"", render("{{ 'a\\nb\\t\\u00e9\\d\\'\"' }}", Map.of()));
        assertEquals("True False 1.0 1e-05 [1, 'x', None, True]", render("{{ true }} {{ 1 > 2 }} {{ 1.0 }} {{ 0.00001 }} {{ [1, 'x', none, true] }}", Map.of()));
    }

    @Test
    void pythonStringMethodsNotJavas() {
        assertEquals("['a', '', 'b', '']|['a', 'b']|x\u00a0|a.b", render(
                "{{ 'a,,b,'.split(',') }}|{{ ' a  b '.split() }}|{{ '\u00a0x\u00a0'.lstrip() }}|{{ 'a.b'.replace('\\\\.', '-') }}", Map.of()));
        assertEquals("c|ab|True", render("{{ 'abc'[-1] }}|{{ 'abc'[:2] }}|{{ 'abc'.startswith(['x', 'a']) }}", Map.of()));
    }

    @Test
    void tojsonIsPythonsJsonDumps() {
        Map<String, Object> value = new java.util.LinkedHashMap<>();
        value.put("z", 1);
        value.put("a", List.of(true, 2.5, "é\"\n"));
        assertEquals("{\"z\": 1, \"a\": [true, 2.5, \"é\\\"\\n\"]}", render("{{ v | tojson }}", Map.of("v", value)));
        assertEquals("{\n  \"z\": 1,\n  \"a\": [\n    true,\n    2.5,\n    \"é\\\"\\n\"\n  ]\n}", render("{{ v | tojson(indent=2) }}", Map.of("v", value)));
    }

    @Test
    void loopElseAndLoopFilters() {
        assertEquals("none", render("{% for x in xs %}{{ x }}{% else %}none{% endfor %}", Map.of("xs", List.of())));
        assertEquals("b1/2c2/2", render("{% for x in xs if x != 'a' %}{{ x }}{{ loop.index }}/{{ loop.length }}{% endfor %}",
                Map.of("xs", List.of("a", "b", "c"))));
    }

    @Test
    void strftimeNowReadsTheGivenClock() {
        java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.parse("2024-02-29T23:59:58Z"), java.time.ZoneOffset.UTC);
        assertEquals("29 Feb 2024", JinjaTemplate.compile("{{ strftime_now('%d %b %Y') }}", "t").render(Map.of(), clock));
    }
}
