package dev.mergelab.eval;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.mergelab.MergeLabException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Jinja fields of task configs, rendered with HubSpot Jinjava as lm-eval renders them with jinja2
 * (lm_eval/utils.py apply_template: undefined names are errors, the trailing newline is kept). A field that
 * is one expression ({@code "{{choices.text}}"}, {@code "{{label}}"}) is evaluated to its value, which is
 * what lm-eval gets back from {@code ast.literal_eval} of the rendered Python repr for lists and numbers.
 * Jinjava is not Python: Python methods on values ({@code .strip()}, {@code .index(x)}) work only where Java
 * has a method of that name; the built-in tasks' prompts are Java code (BuiltinTasks) for that reason.
 */
public final class Jinja {

    private static final Pattern ONE_EXPRESSION = Pattern.compile("^\\{\\{-?\\s*(.*?)\\s*-?}}$", Pattern.DOTALL);
    private static final Jinjava JINJAVA = new Jinjava(JinjavaConfig.newBuilder().withFailOnUnknownTokens(true).build());

    private Jinja() {
    }

    /** The rendered text of {@code template} for {@code doc}. */
    public static String render(String template, Map<String, Object> doc, String where) {
        RenderResult r = JINJAVA.renderForResult(template, doc);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw MergeLabException.input(where + ": template line " + e.getLineno() + ": " + firstLine(e.getMessage())
                        + " in " + clip(template), null);
            }
        }
        return r.getOutput();
    }

    /** The value of a one-expression template, or its rendered text when it is more than one expression. */
    public static Object evaluate(String template, Map<String, Object> doc, String where) {
        Matcher m = ONE_EXPRESSION.matcher(template);
        if (!m.matches() || m.group(1).contains("{{") || m.group(1).contains("}}")) {
            return render(template, doc, where);
        }
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
        interpreter.getContext().putAll(doc);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            Object value = interpreter.resolveELExpression(m.group(1), 1);
            for (TemplateError e : interpreter.getErrors()) {
                if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                    throw MergeLabException.input(where + ": " + firstLine(e.getMessage()) + " in " + clip(template), null);
                }
            }
            if (value == null) {
                throw MergeLabException.input(where + ": " + clip(template) + " is undefined for this document", null);
            }
            return value;
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    private static String firstLine(String s) {
        return s == null ? "error" : s.lines().findFirst().orElse("error");
    }

    private static String clip(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() > 80 ? one.substring(0, 80) + "..." : one;
    }
}
