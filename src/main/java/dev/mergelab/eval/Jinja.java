package dev.mergelab.eval;

import dev.mergelab.jinja.JinjaTemplate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Jinja fields of task configs, rendered as lm-eval renders them with jinja2 (lm_eval/utils.py apply_template:
 * {@code Environment(undefined=StrictUndefined, keep_trailing_newline=True)} with a {@code regex_replace} filter):
 * the {@link JinjaTemplate.Dialect#TASK} dialect of MergeLab's jinja package, so Python's string methods
 * ({@code .strip()}, {@code .split()}) and Python's printing of values work as in lm-eval. A field that is one
 * expression ({@code "{{choices.text}}"}, {@code "{{label}}"}) is evaluated to its value, which is what lm-eval gets
 * back from {@code ast.literal_eval} of the rendered Python repr for lists and numbers. Each distinct field is
 * compiled once and reused for every document.
 */
public final class Jinja {

    private record Key(String template, String where) {
    }

    private static final Map<Key, JinjaTemplate> COMPILED = new ConcurrentHashMap<>();

    private Jinja() {
    }

    /** The rendered text of {@code template} for {@code doc}. */
    public static String render(String template, Map<String, Object> doc, String where) {
        return compiled(template, where).render(doc);
    }

    /** The value of a one-expression template, or its rendered text when it is more than one expression. */
    public static Object evaluate(String template, Map<String, Object> doc, String where) {
        return compiled(template, where).value(doc);
    }

    private static JinjaTemplate compiled(String template, String where) {
        return COMPILED.computeIfAbsent(new Key(template, where), k -> JinjaTemplate.compile(k.template(), k.where(), JinjaTemplate.Dialect.TASK));
    }
}
