package dev.mergelab.jinja;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, the
 * {@code tojson} filter transformers gives chat templates (jinja2's own escapes HTML characters; transformers'
 * does not). Output bytes follow Python: {@code ", "} and {@code ": "} separators without indent, {@code ","}
 * with one; keys in the mapping's order; floats as Python's {@code repr} ({@code 1e-05}, {@code 1.0}); only
 * quotes, backslashes and control characters escaped.
 */
final class PythonJson {

    private PythonJson() {
    }

    /** @param indent null for one line, else the string put before each nesting level's items */
    static String dumps(Object value, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        String items = itemSeparator != null ? itemSeparator : indent == null ? ", " : ",";
        String keys = keySeparator != null ? keySeparator : ": ";
        StringBuilder b = new StringBuilder();
        write(b, value, indent, items, keys, sortKeys, 0, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, String indent, String items, String keys, boolean sort, int level,
            int depth) {
        if (depth > 512) {
            throw new IllegalArgumentException("value nested too deeply to serialise");
        }
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean bool) {
            b.append(bool ? "true" : "false");
        } else if (v instanceof CharSequence s) {
            string(b, s.toString());
        } else if (v instanceof Double || v instanceof Float) {
            b.append(floatRepr(((Number) v).doubleValue()));
        } else if (v instanceof BigDecimal d) {
            b.append(floatRepr(d.doubleValue()));
        } else if (v instanceof Number num) {
            b.append(num instanceof BigInteger big ? big.toString() : Long.toString(num.longValue()));
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                b.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
            if (sort) {
                entries.sort((x, y) -> key(x.getKey()).compareTo(key(y.getKey())));
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) {
                    b.append(items);
                }
                newline(b, indent, level + 1);
                string(b, key(e.getKey()));
                b.append(keys);
                write(b, e.getValue(), indent, items, keys, sort, level + 1, depth + 1);
                first = false;
            }
            newline(b, indent, level);
            b.append('}');
        } else if (v instanceof Iterable<?> || v instanceof Object[]) {
            Iterable<?> list = v instanceof Object[] arr ? List.of(arr) : (Iterable<?>) v;
            if (!list.iterator().hasNext()) {
                b.append("[]");
                return;
            }
            b.append('[');
            boolean first = true;
            for (Object o : list) {
                if (!first) {
                    b.append(items);
                }
                newline(b, indent, level + 1);
                write(b, o, indent, items, keys, sort, level + 1, depth + 1);
                first = false;
            }
            newline(b, indent, level);
            b.append(']');
        } else {
            throw new IllegalArgumentException("Object of type " + v.getClass().getSimpleName() + " is not JSON serializable");
        }
    }

    private static void newline(StringBuilder b, String indent, int level) {
        if (indent != null) {
            b.append('\n');
            b.append(indent.repeat(level));
        }
    }

    /** Python turns non-string keys into strings: numbers as written, booleans as true/false, None as null. */
    private static String key(Object k) {
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean bool) {
            return bool ? "true" : "false";
        }
        if (k instanceof Double || k instanceof Float) {
            return floatRepr(((Number) k).doubleValue());
        }
        return k.toString();
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Python's {@code repr(float)}: the shortest digits that round-trip, fixed notation for 1e-4 <= |x| < 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale();
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = bd.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
