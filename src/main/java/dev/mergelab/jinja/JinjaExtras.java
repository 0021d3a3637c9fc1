package dev.mergelab.jinja;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Map;

/** What transformers adds to jinja2 for chat templates, as Jinjava functions, filters and tags. */
final class JinjaExtras {

    private JinjaExtras() {
    }

    /** The clock {@code strftime_now} reads during a render (tests fix it). */
    static final ThreadLocal<Clock> CLOCK = ThreadLocal.withInitial(Clock::systemDefaultZone);

    /** A template's {@code raise_exception(message)}: ends the render with the template's own message. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code raise_exception(message)}. */
    public static Object raiseException(Object message) {
        throw new Raised(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: Python's {@code datetime.now().strftime(format)}, local time. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(CLOCK.get()), format);
    }

    /** transformers' {@code tojson}: {@code json.dumps} with {@code ensure_ascii=False} and its keyword options. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 1 ? args[1] : null;
            Object separators = kwargs.get("separators");
            Object sortKeys = kwargs.get("sort_keys");
            if (kwargs.containsKey("ensure_ascii") && Boolean.TRUE.equals(kwargs.get("ensure_ascii"))) {
                throw new IllegalArgumentException("tojson(ensure_ascii=True) is not supported");
            }
            String indentText = null;
            if (indent instanceof Number n) {
                indentText = " ".repeat(Math.max(0, n.intValue()));
            } else if (indent instanceof CharSequence s) {
                indentText = s.toString();
            }
            String items = null;
            String keys = null;
            if (separators instanceof java.util.List<?> pair && pair.size() == 2) {
                items = String.valueOf(pair.get(0));
                keys = String.valueOf(pair.get(1));
            }
            return PythonJson.dumps(var, indentText, items, keys, Boolean.TRUE.equals(sortKeys));
        }
    }

    /**
     * jinja2's {@code iterable} and {@code sequence} tests: true for strings too (Jinjava says false), and for
     * mappings and lists.
     */
    static final class Iterable implements com.hubspot.jinjava.lib.exptest.ExpTest {
        private final String name;

        Iterable(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var instanceof CharSequence || var instanceof java.lang.Iterable<?> || var instanceof Map<?, ?>
                    || (var != null && var.getClass().isArray());
        }
    }

    /** jinja2's {@code trim(value, chars=None)}: Python's {@code str.strip}, which strips all Unicode spaces. */
    static final class Trim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            String s = var == null ? "" : var.toString();
            return PythonStrings.strip(s, args.length > 0 ? args[0] : null, true, true);
        }
    }

    /**
     * lm-eval's {@code regex_replace(string, pattern, repl, count=0)} filter: Python's {@code re.sub}. The pattern is
     * read by java.util.regex (the same syntax for the classes, groups and anchors task files use); the replacement
     * is Python's: {@code \\1} and {@code \\g<name>} insert groups, {@code \\n} and friends are escapes, {@code $} is
     * plain text.
     */
    static final class RegexReplace implements Filter {
        @Override
        public String getName() {
            return "regex_replace";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (args.length < 2) {
                throw new IllegalArgumentException("regex_replace needs a pattern and a replacement");
            }
            String s = var == null ? "" : var.toString();
            int count = args.length > 2 && args[2] != null ? Integer.parseInt(args[2].strip()) : 0;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(args[0]).matcher(s);
            StringBuilder out = new StringBuilder();
            int last = 0;
            int done = 0;
            while ((count == 0 || done < count) && m.find()) { // an empty match: find() moves on, as re.sub does
                out.append(s, last, m.start()).append(expand(args[1], m));
                last = m.end();
                done++;
            }
            return out.append(s, last, s.length()).toString();
        }

        /** Python's replacement template for one match. */
        static String expand(String repl, java.util.regex.MatchResult m) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < repl.length(); i++) {
                char c = repl.charAt(i);
                if (c != '\\' || i + 1 == repl.length()) {
                    b.append(c);
                    continue;
                }
                char n = repl.charAt(++i);
                if (n == '0') {
                    b.append('\0'); // \0 is an octal escape in Python, not group 0
                } else if (Character.isDigit(n)) {
                    int j = i + 1 < repl.length() && Character.isDigit(repl.charAt(i + 1)) ? i + 2 : i + 1;
                    String g = m.group(Integer.parseInt(repl.substring(i, j)));
                    b.append(g == null ? "" : g);
                    i = j - 1;
                } else if (n == 'g' && i + 1 < repl.length() && repl.charAt(i + 1) == '<' && repl.indexOf('>', i) > 0) {
                    int close = repl.indexOf('>', i);
                    String name = repl.substring(i + 2, close);
                    String g = name.chars().allMatch(Character::isDigit) ? m.group(Integer.parseInt(name))
                            : ((java.util.regex.Matcher) m).group(name);
                    b.append(g == null ? "" : g);
                    i = close;
                } else {
                    switch (n) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case '\\' -> b.append('\\');
                        default -> {
                            if (n < 128 && Character.isLetter(n)) {
                                throw new IllegalArgumentException("bad escape \\" + n + " in the replacement " + repl);
                            }
                            b.append('\\').append(n); // re.sub keeps other unknown escapes as written
                        }
                    }
                }
            }
            return b.toString();
        }
    }

    /**
     * transformers' {@code {% generation %}...{% endgeneration %}} (its AssistantTracker extension): marks the
     * assistant's part for training masks and renders its body unchanged, which is all a render needs.
     */
    static final class Generation implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder b = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                b.append(child.render(interpreter).getValue());
            }
            return b.toString();
        }
    }
}
