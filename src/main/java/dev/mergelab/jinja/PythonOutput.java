package dev.mergelab.jinja;

import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.expression.ExpressionStrategy;
import com.hubspot.jinjava.mode.ExecutionMode;
import com.hubspot.jinjava.tree.output.RenderedOutputNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;

/**
 * {@code {{ x }}} printed as Python's {@code str(x)} where Jinjava prints otherwise: booleans as {@code True} and
 * {@code False}, floats as Python's repr. (None stays empty: Jinjava cannot tell None from an undefined name,
 * and an undefined name, e.g. a special token the tokenizer lacks, prints empty in jinja2 too.) The output is
 * never parsed again as a template, whatever it holds.
 */
final class PythonOutput implements ExpressionStrategy {

    /** Installs this strategy in every render's context. */
    static final ExecutionMode MODE = new ExecutionMode() {
        @Override
        public void prepareContext(Context context) {
            context.setExpressionStrategy(new PythonOutput());
        }
    };

    @Override
    public RenderedOutputNode interpretOutput(ExpressionToken token, JinjavaInterpreter interpreter) {
        Object value = interpreter.resolveELExpression(token.getExpr(), token.getLineNumber());
        return new RenderedOutputNode(str(value, interpreter));
    }

    static String str(Object value, JinjavaInterpreter interpreter) {
        if (value instanceof CharSequence || value == null) {
            return interpreter.getAsString(value);
        }
        if (value instanceof Boolean || value instanceof Number || value instanceof java.util.Map<?, ?>
                || value instanceof java.util.List<?>) {
            StringBuilder b = new StringBuilder();
            repr(b, value, 0);
            return b.toString();
        }
        return interpreter.getAsString(value);
    }

    /** Python's {@code repr} of a value inside a printed list or dict (and of a number or boolean anywhere). */
    private static void repr(StringBuilder b, Object v, int depth) {
        if (depth > 256) {
            throw new IllegalArgumentException("value nested too deeply to print");
        }
        if (v == null) {
            b.append("None");
        } else if (v instanceof Boolean bool) {
            b.append(bool ? "True" : "False");
        } else if (v instanceof Double || v instanceof Float) {
            b.append(PythonJson.floatRepr(((Number) v).doubleValue()));
        } else if (v instanceof Number n) {
            b.append(n);
        } else if (v instanceof CharSequence s) {
            quote(b, s.toString());
        } else if (v instanceof java.util.Map<?, ?> map) {
            b.append('{');
            boolean first = true;
            for (var e : map.entrySet()) {
                b.append(first ? "" : ", ");
                repr(b, e.getKey(), depth + 1);
                b.append(": ");
                repr(b, e.getValue(), depth + 1);
                first = false;
            }
            b.append('}');
        } else if (v instanceof Iterable<?> list) {
            b.append('[');
            boolean first = true;
            for (Object o : list) {
                b.append(first ? "" : ", ");
                repr(b, o, depth + 1);
                first = false;
            }
            b.append(']');
        } else {
            b.append(v);
        }
    }

    /** Python's string repr: single quotes unless the text holds one and no double quote; non-printables escaped. */
    private static void quote(StringBuilder b, String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        b.append(q);
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c == q || c == '\\') {
                b.append('\\').appendCodePoint(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (printable(c)) {
                b.appendCodePoint(c);
            } else if (c < 0x100) {
                b.append(String.format("\\x%02x", c));
            } else if (c < 0x10000) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.append(String.format("\\U%08x", c));
            }
        }
        b.append(q);
    }

    private static boolean printable(int c) {
        if (c == ' ') {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }
}
