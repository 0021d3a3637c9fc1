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

    private static final Jinjava JINJAVA = environment();

    private final String origin;
    private final JinjaSource source;

    private JinjaTemplate(String origin, JinjaSource source) {
        this.origin = origin;
        this.source = source;
    }

    /**
     * Parses {@code template}; a syntax error is reported now.
     *
     * @param origin where the template came from, for messages (a file, or a file and a field)
     */
    public static JinjaTemplate compile(String template, String origin) {
        JinjaTemplate t = new JinjaTemplate(origin, JinjaSource.rewrite(template));
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
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
            result = JINJAVA.renderForResult(source.text(), variables);
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

    private static Jinjava environment() {
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
        return j;
    }
}
