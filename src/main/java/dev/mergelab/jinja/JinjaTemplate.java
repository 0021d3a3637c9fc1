package dev.mergelab.jinja;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.mergelab.MergeLabException;
import java.time.Clock;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Jinja template compiled once and rendered like transformers renders chat templates with jinja2 (see the
 * package description). Every problem, a syntax error or the template's own {@code raise_exception}, is a
 * one-line {@link MergeLabException} naming {@code origin} and the template line.
 */
public final class JinjaTemplate {

    static {
        // Jinjava logs through SLF4J; without a provider SLF4J prints a three-line notice on stderr at first use.
        // MergeLab has no logging: silence SLF4J's own reporting unless the user asked for it.
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
    }

    /** Output larger than this is refused: a template looping out of control must not fill the heap. */
    static final long MAX_OUTPUT_CHARS = 64L << 20;

    /** The jinja2 environment a template is written for. */
    public enum Dialect {
        /** transformers' chat templates: {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)}. */
        CHAT,
        /**
         * lm-eval's task fields ({@code doc_to_text}, ...): lm_eval/utils.py's {@code Environment(undefined=StrictUndefined,
         * keep_trailing_newline=True)} with its {@code regex_replace} filter: no block whitespace control, the last
         * newline kept, and an undefined name an error.
         */
        TASK
    }

    private static final Jinjava CHAT = environment(false);
    private static final Jinjava TASK = environment(true);

    /** One expression and nothing else, as a task's {@code doc_to_choice: "{{choices.text}}"} is. */
    private static final Pattern ONE_EXPRESSION = Pattern.compile("^\\{\\{-?\\s*(.*?)\\s*-?}}$", Pattern.DOTALL);

    private final String origin;
    private final JinjaSource source;
    private final Jinjava jinjava;

    private JinjaTemplate(String origin, JinjaSource source, Jinjava jinjava) {
        this.origin = origin;
        this.source = source;
        this.jinjava = jinjava;
    }

    /**
     * Parses a chat template ({@link Dialect#CHAT}); a syntax error is reported now.
     *
     * @param origin where the template came from, for messages (a file, or a file and a field)
     */
    public static JinjaTemplate compile(String template, String origin) {
        return compile(template, origin, Dialect.CHAT);
    }

    /** Parses {@code template} for {@code dialect}'s environment; a syntax error is reported now. */
    public static JinjaTemplate compile(String template, String origin, Dialect dialect) {
        boolean task = dialect == Dialect.TASK;
        JinjaTemplate t = new JinjaTemplate(origin, JinjaSource.rewrite(template, !task, task), task ? TASK : CHAT);
        JinjavaInterpreter interpreter = t.jinjava.newInterpreter();
        interpreter.parse(t.source.text());
        for (TemplateError e : interpreter.getErrors()) {
            if (isFatal(e)) {
                throw t.failure(e);
            }
        }
        return t;
    }

    /** Renders with {@code variables} (plain Java values: maps, lists, strings, numbers, booleans, null). */
    public String render(Map<String, ?> variables) {
        return render(variables, Clock.systemDefaultZone());
    }

    /** Renders with {@code strftime_now} reading {@code clock}. */
    public String render(Map<String, ?> variables, Clock clock) {
        Clock before = JinjaExtras.CLOCK.get();
        JinjaExtras.CLOCK.set(clock);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source.text(), variables);
        } finally {
            JinjaExtras.CLOCK.set(before);
        }
        for (TemplateError e : result.getErrors()) {
            if (raised(e) != null) {
                throw failure(e);
            }
        }
        for (TemplateError e : result.getErrors()) {
            if (isFatal(e)) {
                throw failure(e);
            }
        }
        return result.getOutput();
    }

    /**
     * The value of a template that is one expression ({@code "{{choices.text}}"}: the list itself, as lm-eval gets
     * it back with {@code ast.literal_eval} of the rendered repr), else the rendered text. An undefined value is
     * an error in the {@link Dialect#TASK} dialect, as jinja2's StrictUndefined makes it.
     */
    public Object value(Map<String, ?> variables) {
        Matcher m = ONE_EXPRESSION.matcher(source.text());
        if (!m.matches() || m.group(1).contains("{{") || m.group(1).contains("}}") || m.group(1).contains("{#")) {
            return render(variables);
        }
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        interpreter.getContext().putAll(variables);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            Object value = interpreter.resolveELExpression(m.group(1), 1);
            for (TemplateError e : interpreter.getErrors()) {
                if (isFatal(e)) {
                    throw failure(e);
                }
            }
            if (value == null && jinjava == TASK) {
                throw MergeLabException.input(oneLine(origin + ": " + m.group(1) + " is undefined for this document"), null);
            }
            return value;
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /**
     * jinja2 refuses what Jinjava only warns about: a syntax problem (an {@code endif} without its {@code if}).
     * Other warnings (an undefined name or attribute) are jinja2's silent Undefined too.
     */
    private static boolean isFatal(TemplateError e) {
        return e.getSeverity() == TemplateError.ErrorType.FATAL || e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR;
    }

    private MergeLabException failure(TemplateError e) {
        String raised = raised(e);
        String line = e.getLineno() > 0 ? " line " + e.getLineno() : "";
        String what = raised != null ? "raised: " + raised : "error: " + e.getMessage();
        return MergeLabException.input(oneLine(origin + ":" + line + " template " + what), null);
    }

    private static String raised(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof JinjaExtras.Raised r) {
                return r.getMessage();
            }
        }
        return null;
    }

    private static String oneLine(String s) {
        String flat = s.replaceAll("[\\r\\n\\u0085\\u2028\\u2029]+", " ");
        return flat.length() > 400 ? flat.substring(0, 400) + "..." : flat;
    }

    /** {@code strict}: lm-eval's environment (StrictUndefined, regex_replace); else transformers' chat environment. */
    private static Jinjava environment(boolean strict) {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // jinja2's trim_blocks and lstrip_blocks are applied by JinjaSource: Jinjava's own differ
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withNestedInterpretationEnabled(false)   // a message holding "{{ x }}" is text, not template
                .withExecutionMode(PythonOutput.MODE)
                .withElResolver(resolver)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withRangeLimit(100_000)   // jinja2's sandbox caps range() at 100,000 items
                .withFailOnUnknownTokens(strict) // StrictUndefined: an undefined name fails the render
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withIterateOverMapKeys(true)           // {% for k in dict %} yields keys, as in Python
                        .withUsePyishObjectMapper(true)         // {{ list }} prints as Python would: ['a', 'b']
                        .withUseNaturalOperatorPrecedence(true) // filters bind tighter than arithmetic
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        j.registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaExtras.class, "raiseException", Object.class));
        j.registerFunction(new ELFunctionDefinition("", "strftime_now", JinjaExtras.class, "strftimeNow", String.class));
        j.registerFilter(new JinjaExtras.ToJson());
        j.registerFilter(new JinjaExtras.Trim());
        j.registerTag(new JinjaExtras.Generation());
        j.registerExpTest(new JinjaExtras.Iterable("iterable"));
        j.registerExpTest(new JinjaExtras.Iterable("sequence"));
        if (strict) {
            j.registerFilter(new JinjaExtras.RegexReplace());
        }
        return j;
    }
}
